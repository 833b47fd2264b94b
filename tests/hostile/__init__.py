"""The hostile-input suite (issue 11): malformed, extreme and malicious input, faults."""
