/*
 * Compute Site Explorer — a boundary layer the user loaded (prefectures, counties...),
 * drawn as a thin dashed overlay and offered to the pick tool.
 *
 * Plugs into sites.js through CSE.plugins. Python is the authority: the page draws the
 * display copy Python sends (simplified when large) and the pick tool hovers its areas,
 * but a pick still only reports lon/lat; Python looks the area up in the full layer.
 *
 * Python -> page (JSON {"seq", "data"}):
 *   boundaryLayerSet  data = {name, features: [{name, polygons}...]}, or null / ""
 *                     to remove the layer. polygons = [[exterior, hole...], ...] of
 *                     [lon, lat], rings open.
 * Bounds (Python's, from CSE.config.limits): at most MAX_BOUNDARY_FEATURES areas and
 * MAX_BOUNDARY_VERTICES vertices, finite lon -180..180, lat -90..90, names of at most
 * MAX_NAME characters; anything else is dropped whole with a console warning (which
 * Python logs) and the current layer stays.
 *
 * The layer sits in pane cse-boundary (z 402: above the basemap polygons, below the
 * regions at 405, towns, labels and sites) on its own canvas renderer (one canvas for
 * thousands of outlines, not thousands of SVG paths), is never interactive, and is
 * listed in the layer switcher under its name. Leaflet's layer switcher sets item names
 * with innerHTML, so the name (user text) is given to it escaped with CSE.escapeHtml:
 * the switcher shows it literally.
 *
 * CSE.boundary.pickLayer() is the feature group draw.js picks from (null: none); each
 * area's layer.feature.properties.name is its name. It stays the pick source when the
 * user switches the overlay off in the layer switcher: Python picks from the loaded
 * layer either way, and the hover must say what a click will add. The map fires 'cse:boundarylayer'
 * {name} when the layer is replaced or removed.
 */
(function () {
  'use strict';

  var CSE = (window.CSE = window.CSE || {});
  // basemap.js
  var isFiniteNumber = CSE.isFiniteNumber;
  var polygonLatLngs = CSE.polygonLatLngs;
  var LIMITS = null; // CSE.config.limits, when the plug-in starts
  var STYLE = {
    pane: 'cse-boundary',
    interactive: false,
    color: '#00695c',
    weight: 1.3,
    opacity: 0.9,
    dashArray: '6 4',
    fill: false
  };

  var B = {
    map: null,
    control: null, // folium's L.control.layers, if any
    renderer: null,
    group: null,
    name: '',
    vertices: 0,
    dropped: 0
  };

  function validName(name) {
    return typeof name === 'string' && name.length <= LIMITS.MAX_NAME;
  }

  /* {problem: null, vertices} if data is a usable layer, else {problem: why not}.
   * Counts vertices as it goes and stops at the first problem, so an oversized payload
   * costs no more than the bound. */
  function check(data) {
    if (!data || typeof data !== 'object' || !validName(data.name) || !Array.isArray(data.features)) {
      return { problem: 'not {name, features}' };
    }
    if (data.features.length > LIMITS.MAX_BOUNDARY_FEATURES) {
      return { problem: data.features.length + ' features, over the bound of ' + LIMITS.MAX_BOUNDARY_FEATURES };
    }
    var vertices = 0;
    var maxVertices = LIMITS.MAX_BOUNDARY_VERTICES;
    for (var i = 0; i < data.features.length; i++) {
      var f = data.features[i];
      if (!f || typeof f !== 'object' || !validName(f.name) || !Array.isArray(f.polygons) || !f.polygons.length) {
        return { problem: 'feature ' + i + ' is not {name, polygons}' };
      }
      for (var p = 0; p < f.polygons.length; p++) {
        var rings = f.polygons[p];
        if (!Array.isArray(rings) || !rings.length) {
          return { problem: 'feature ' + i + ' has an empty polygon' };
        }
        for (var r = 0; r < rings.length; r++) {
          var ring = rings[r];
          if (!Array.isArray(ring) || ring.length < 3) {
            return { problem: 'feature ' + i + ' has a ring of fewer than 3 vertices' };
          }
          vertices += ring.length;
          if (vertices > maxVertices) {
            return { problem: 'over ' + maxVertices + ' vertices' };
          }
          for (var v = 0; v < ring.length; v++) {
            var c = ring[v];
            if (!Array.isArray(c) || c.length !== 2 || !isFiniteNumber(c[0]) || !isFiniteNumber(c[1]) || Math.abs(c[0]) > 180 || Math.abs(c[1]) > 90) {
              return { problem: 'feature ' + i + ' has a bad coordinate' };
            }
          }
        }
      }
    }
    return { problem: null, vertices: vertices };
  }

  function clear() {
    if (!B.group) {
      return;
    }
    if (B.control) {
      B.control.removeLayer(B.group);
    }
    B.map.removeLayer(B.group);
    B.group = null;
    B.name = '';
    B.vertices = 0;
  }

  function setLayer(data) {
    if (data === null || data === undefined || data === '') {
      clear();
      B.map.fire('cse:boundarylayer', { name: '' });
      return;
    }
    var checked = check(data);
    if (checked.problem) {
      B.dropped += 1;
      console.warn('cse: dropped boundaryLayerSet: ' + checked.problem);
      return;
    }
    clear();
    var group = L.featureGroup();
    data.features.forEach(function (f) {
      var layer = L.polygon(polygonLatLngs(f.polygons), L.extend({ renderer: B.renderer }, STYLE));
      // draw.js names a picked area from feature.properties.name, as for provinces.
      layer.feature = { type: 'Feature', properties: { name: f.name } };
      group.addLayer(layer);
    });
    B.group = group;
    B.name = data.name;
    B.vertices = checked.vertices;
    group.addTo(B.map);
    if (B.control) {
      B.control.addOverlay(group, CSE.escapeHtml(data.name)); // the switcher sets it with innerHTML
    }
    B.map.fire('cse:boundarylayer', { name: data.name });
  }

  (CSE.plugins = CSE.plugins || []).push({
    start: function (map, config) {
      LIMITS = CSE.config.limits;
      B.map = map;
      var pane = map.createPane('cse-boundary');
      pane.style.zIndex = '402';
      pane.style.pointerEvents = 'none';
      B.renderer = L.canvas({ pane: 'cse-boundary', padding: 0.2 });
      if (config && config.layerControl && config.layerControl.addOverlay) {
        B.control = config.layerControl;
      }
    },
    connect: function (bridge, listen) {
      listen(CSE.config.toPage.BOUNDARY_LAYER_SET, setLayer);
    }
  });

  CSE.boundary = {
    pickLayer: function () {
      return B.group;
    },
    name: function () {
      return B.group ? B.name : '';
    }
  };

  /* ------------------------------------------------------------------ inspection */
  /* Our item (a <label>) in the layer switcher, or null. Leaflet tags each item's input
   * with its layer's stamp (layerId). */
  function switcherItem() {
    if (!B.group) {
      return null;
    }
    var id = L.stamp(B.group);
    var inputs = document.querySelectorAll('.leaflet-control-layers-overlays input');
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].layerId === id) {
        return inputs[i].closest('label');
      }
    }
    return null;
  }
  CSE.boundarySwitcherItem = switcherItem;

  CSE.boundaryState = function () {
    var features = 0;
    var drawn = 0;
    if (B.group) {
      B.group.eachLayer(function (layer) {
        features += 1;
        // Projected and clipped to the view by the renderer: on the canvas now.
        if (layer._parts && layer._parts.length) {
          drawn += 1;
        }
      });
    }
    var item = switcherItem();
    return {
      name: B.group ? B.name : null,
      features: features,
      drawn: drawn,
      vertices: B.vertices,
      on_map: !!(B.group && B.map.hasLayer(B.group)),
      pane: B.group ? STYLE.pane : null,
      dash: STYLE.dashArray,
      color: STYLE.color,
      control_label: item ? item.textContent.trim() : null,
      control_label_elements: item ? item.querySelectorAll('*').length : 0,
      dropped: B.dropped
    };
  };
})();
