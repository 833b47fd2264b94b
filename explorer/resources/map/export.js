/*
 * Compute Site Explorer — a static bridge for the exported, standalone HTML map.
 *
 * Loaded (inlined) in place of Qt's qwebchannel.js by explorer/web/html_export.py. It
 * gives sites.js / regions.js / draw.js the QWebChannel they expect, with a "bridge"
 * that never talks to anything: its signals replay, once, the state saved in the
 * page's <script type="application/json" id="cse-export-state"> block (the same JSON
 * messages Python sends the live map), and its slots (pageReady, siteClicked, ...) do
 * nothing. So the exported map is drawn by exactly the app's page code: same colours,
 * legend, tooltips (textContent only) and region outlines, and it needs no network.
 * The page's settings (CSE.config: message names, palette...) are in the page itself,
 * as in the app; the saved messages name their signals with the same names.
 *
 * State: {messages: [[signal, data]...], bounds: [[s, w], [n, e]] | null,
 *         header: {title, facts, caveat}}
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  var listeners = {};
  var seq = 0;

  function readState() {
    var el = document.getElementById('cse-export-state');
    if (!el) {
      return { messages: [], bounds: null, header: {} };
    }
    return JSON.parse(el.textContent);
  }

  function emit(name, data) {
    seq += 1;
    var json = JSON.stringify({ seq: seq, data: data });
    (listeners[name] || []).forEach(function (fn) {
      fn(json);
    });
  }

  function addHeader(header) {
    if (!header || !(header.title || header.facts || header.caveat)) {
      return;
    }
    var box = CSE.textElement('div', 'cse-export-header', '');
    if (header.title) {
      box.appendChild(CSE.textElement('div', 'cse-export-title', header.title));
    }
    if (header.facts) {
      box.appendChild(CSE.textElement('div', 'cse-export-facts', header.facts));
    }
    if (header.caveat) {
      box.appendChild(CSE.textElement('div', 'cse-export-caveat', header.caveat));
    }
    document.body.appendChild(box);
  }

  function replay() {
    var state = readState();
    (state.messages || []).forEach(function (m) {
      emit(m[0], m[1]);
    });
    if (state.bounds) {
      CSE.map.fitBounds(state.bounds, { padding: [40, 40], animate: false, maxZoom: 9 });
    }
    addHeader(state.header);
    CSE.exportReady = true;
  }

  /* Every property of the bridge is both a signal (.connect) and a slot (a no-op call);
   * PAGE_READY is the one slot that does something: it replays the saved state. */
  function member(name) {
    var fn = function () {
      // Called after CSE.setupMap, so CSE.config is there.
      if (name === CSE.config.toPython.PAGE_READY) {
        replay();
      }
    };
    fn.connect = function (callback) {
      (listeners[name] = listeners[name] || []).push(callback);
    };
    return fn;
  }

  var bridge = new Proxy(
    {},
    {
      get: function (target, name) {
        if (typeof name !== 'string') {
          return undefined;
        }
        if (!Object.prototype.hasOwnProperty.call(target, name)) {
          target[name] = member(name);
        }
        return target[name];
      }
    }
  );

  window.qt = { webChannelTransport: {} };
  window.QWebChannel = function (transport, init) {
    init({ objects: { bridge: bridge } });
  };
})();
