/* fanout.docker fleet report: builds the page from the JSON in #fanout-report-data (shaped by the
 * fanout.docker.report_view filter) and draws each host's graph with elkjs (inlined before this file).
 * Every text goes in through textContent: names and headers come from the managed hosts. */
(function () {
  'use strict';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('fanout-report-data').textContent);
  var root = document.getElementById('report');

  function token(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, '-'); }

  function build(ns, tag, attrs, children) {
    var node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === 'class') {
        (Array.isArray(v) ? v : [v]).filter(Boolean).forEach(function (c) { node.classList.add(token(c)); });
      } else if (k === 'text') {
        node.textContent = String(v);
      } else {
        node.setAttribute(k, String(v));
      }
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
    });
    return node;
  }
  function h(tag, attrs) { return build(null, tag, attrs, Array.prototype.slice.call(arguments, 2)); }
  function s(tag, attrs) { return build(SVGNS, tag, attrs, Array.prototype.slice.call(arguments, 2)); }
  function badge(text, cls) { return h('span', { class: ['badge'].concat(cls || []), text: text }); }
  function list(items, cls) {
    return h.apply(null, ['ul', { class: cls || 'tight' }].concat(items.map(function (i) { return h('li', {}, i); })));
  }
  function table(headers, rows, attrs) {
    return h('table', attrs || {},
      h.apply(null, ['thead', {}, h.apply(null, ['tr', {}].concat(headers.map(function (x) { return typeof x === 'object' ? x : h('th', { text: x }); })))]),
      h.apply(null, ['tbody', {}].concat(rows)));
  }
  function td(content, cls) { return h('td', { class: cls }, content); }
  var STATUS_WORD = { clean: 'clean', broken: 'broken', fixed: 'fixed', would_fix: 'would fix', error: 'error', unreachable: 'unreachable' };

  /* ---- fleet overview ------------------------------------------------------------------ */
  function overview() {
    var chips = h.apply(null, ['div', { class: 'chips', id: 'status-counts' }].concat(data.counts.map(function (c) {
      return h('span', { class: ['chip', 'status-' + c.status, c.count ? '' : 'zero'], 'data-status': c.status },
        h('b', { text: c.count }), STATUS_WORD[c.status] || c.status);
    })));
    var columns = [
      ['host', 'Host'], ['rank', 'Status'], ['ambiguous', 'Ambiguous names'], ['stale', 'Suspected stale'],
      ['probe', 'Worst probe'], ['actions', 'Cleanup actions'], ['detail', 'What is wrong']
    ];
    var heads = columns.map(function (col) {
      return h('th', { 'data-key': col[0], 'aria-sort': 'none' }, h('button', { type: 'button', text: col[1], title: 'sort by ' + col[1].toLowerCase() }));
    });
    var rows = data.hosts.map(function (host) {
      var o = host.overview;
      var row = h('tr', { 'data-host': host.host },
        td(h('a', { href: '#' + host.anchor, text: host.host })),
        td(badge(STATUS_WORD[host.status] || host.status, 'status-' + host.status)),
        td(o.ambiguous ? o.ambiguous + ' (' + o.names + ')' : '0'),
        td(o.stale ? o.stale + ' (' + o.stale_names + ')' : '0'),
        td(o.probe, 'num'),
        td(String(o.actions), 'num'),
        td(o.detail.length > 180 ? o.detail.slice(0, 177) + '...' : o.detail, 'detail'));
      row.dataset.host = host.host.toLowerCase();
      row.dataset.rank = host.rank;
      row.dataset.ambiguous = o.ambiguous;
      row.dataset.stale = o.stale;
      row.dataset.probe = o.probe_sort;
      row.dataset.actions = o.actions;
      row.dataset.detail = o.detail.toLowerCase();
      return row;
    });
    var tbl = table(heads, rows, { id: 'hosts', class: 'sortable' });
    heads.forEach(function (th) {
      th.querySelector('button').addEventListener('click', function () { sortBy(tbl, th); });
    });
    var mode = data.mode + (data.check_mode ? ' (check mode)' : '');
    return h('section', { class: 'card', id: 'overview' },
      h('h1', { text: 'fanout.docker fleet report' }),
      h('p', { class: 'sub', text: 'playbook mode: ' + mode + ' · ' + data.hosts.length + ' host' + (data.hosts.length === 1 ? '' : 's') +
        (data.generated ? ' · written ' + data.generated : '') }),
      chips, tbl,
      h('p', { class: 'note', text: 'Click a column to sort; click again to reverse. Status sorts the most urgent first.' }));
  }

  function sortBy(tbl, th) {
    var key = th.getAttribute('data-key');
    var descending = th.getAttribute('aria-sort') === 'ascending';
    tbl.querySelectorAll('th').forEach(function (x) { x.setAttribute('aria-sort', 'none'); });
    th.setAttribute('aria-sort', descending ? 'descending' : 'ascending');
    var body = tbl.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = a.dataset[key], y = b.dataset[key];
      var nx = Number(x), ny = Number(y);
      var c = (x !== '' && y !== '' && !isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
      if (c === 0) c = a.dataset.host.localeCompare(b.dataset.host);
      return descending ? -c : c;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }

  /* ---- one host ------------------------------------------------------------------------ */
  function hostSection(host) {
    var sec = h('section', { class: ['card', 'host', 'status-' + host.status], id: host.anchor, 'data-host': host.host },
      h('h2', {}, h('span', { text: host.host }), badge(STATUS_WORD[host.status] || host.status, 'status-' + host.status),
        h('a', { class: 'back', href: '#overview', text: 'back to the overview' })));
    var facts = [];
    if (host.mode) facts.push('mode ' + host.mode + (host.check_mode ? ' (check mode)' : ''));
    if (host.docker_host) facts.push('engine ' + host.docker_host);
    if (facts.length) sec.appendChild(h('p', { class: 'sub', text: facts.join(' · ') }));
    if (host.error) sec.appendChild(h('p', { class: 'error', text: host.error }));
    if (host.violations.length && host.status !== 'error') {
      sec.appendChild(h('h3', { text: 'What breaks the invariant' }));
      sec.appendChild(list(host.violations.map(function (v) { return h('span', { class: 'violation', text: v }); })));
    }
    host.graphs.forEach(function (g) { sec.appendChild(figure(g)); });
    if (host.names.length) sec.appendChild(namesBlock(host));
    if (host.stale_networks.length) {
      sec.appendChild(h('h3', { text: 'Stale networks' }));
      sec.appendChild(list(host.stale_networks.map(function (n) {
        return h('span', {}, h('code', { text: n.name }), ' (' + n.reason + '): ' + n.detail);
      })));
    }
    if (host.probes.length || host.backend_probes.length) sec.appendChild(probesBlock(host));
    if (host.status !== 'error' && host.status !== 'unreachable') sec.appendChild(cleanupBlock(host));
    else if (host.cleanup.actions.length || host.cleanup.left_alone.length) sec.appendChild(cleanupBlock(host));
    if (host.before_messages.length) {
      sec.appendChild(h('details', {}, h('summary', { text: 'What the run saw before the cleanup' }), list(host.before_messages)));
    }
    if (host.messages.length) {
      sec.appendChild(h('details', {}, h('summary', { text: 'Everything the run said about this host' }), list(host.messages)));
    }
    return sec;
  }

  function namesBlock(host) {
    var box = h('div', { class: 'names' }, h('h3', { text: 'Ambiguous names' }));
    host.names.forEach(function (n) {
      box.appendChild(h('h4', {}, h('code', { text: '`' + n.name + '`' }), ' · ' + n.verdict + (n.kinds.length ? ' · ' + n.kinds.join(', ') : '') + ': ' + n.reason));
      box.appendChild(h('p', { class: 'sub', text: 'resolved by ' + n.consumers.join(', ') }));
      box.appendChild(table(['Backend', 'Role', 'Evidence', 'Where'], n.backends.map(function (b) {
        return h('tr', { class: 'backend-row', 'data-container': b.container, 'data-role': b.role },
          td(h('code', { text: b.container })),
          td(badge(b.role_label, b.kept_by ? ['role-' + b.role, 'kept'] : 'role-' + b.role)),
          td(b.evidence.length ? list(b.evidence) : h('span', { class: 'note', text: 'no evidence against it' })),
          td(list([b.compose ? 'compose ' + b.compose : null, b.image ? 'image ' + b.image : null].concat(b.addresses).filter(Boolean))));
      })));
    });
    return box;
  }

  function probesBlock(host) {
    var box = h('div', { class: 'probes' }, h('h3', { text: 'Preflight probes' }));
    host.probes.forEach(function (p) {
      box.appendChild(h('h4', {}, p.method + ' ', h('code', { text: p.url }), ' from ', h('code', { text: p.origin })));
      box.appendChild(h('p', {},
        h('span', { class: ['ratio', p.ok ? 'good' : 'bad'], text: p.success }),
        ' passed (' + p.passed + '/' + p.total + (p.errors ? ', ' + p.errors + ' transport errors' : '') + '; minimum ' + p.minimum + ') · verdict ',
        h('b', { text: p.verdict }),
        p.differing_headers.length ? h('span', {}, ' · told apart by ', h('mark', { class: 'differing', text: p.differing_headers.join(', ') })) : null));
      if (p.summary) box.appendChild(h('p', { class: 'sub', text: p.summary }));
      if (p.failures_by_reason.length) {
        box.appendChild(table(['Failure reason', 'Count'], p.failures_by_reason.map(function (f) {
          return h('tr', {}, td(h('code', { text: f.reason })), td(String(f.count), 'num'));
        }), { class: 'reasons' }));
      }
      if (p.groups.length) {
        box.appendChild(table(['Backend fingerprint', 'Answers', 'Pass / fail', 'Statuses', 'Failure reasons'], p.groups.map(function (g) {
          return h('tr', { class: 'fingerprint' },
            td(list(g.fingerprint.map(function (f) {
              return f.differs ? h('mark', { text: f.header + ': ' + f.value }) : h('span', { class: 'mono', text: f.header + ': ' + f.value });
            }))),
            td(String(g.count), 'num'),
            td(h('span', {}, h('span', { class: 'bar', title: g.passed + ' passed, ' + g.failed + ' failed' },
              h('span', { class: 'pass', style: 'width:' + g.pass_pct + '%' }), h('span', { class: 'fail', style: 'width:' + (100 - g.pass_pct) + '%' })),
              g.passed + ' pass / ' + g.failed + ' fail')),
            td(g.statuses), td(g.reasons || '-'));
        }), { class: 'fingerprints' }));
      }
    });
    if (host.backend_probes.length) {
      box.appendChild(h('h4', { text: 'Each backend probed directly' }));
      box.appendChild(table(['Name', 'Backend', 'Role', 'URL', 'Passed', 'Verdict', 'Failure reasons'], host.backend_probes.map(function (b) {
        return h('tr', {}, td(h('code', { text: b.name })), td(h('code', { text: b.container })), td(badge(String(b.role).replace('_', ' '), 'role-' + b.role)),
          td(h('code', { text: b.url })), td(b.success, 'num'), td(b.verdict), td(Object.keys(b.failures_by_reason || {}).join(', ') || '-'));
      })));
    }
    return box;
  }

  function cleanupBlock(host) {
    var c = host.cleanup;
    var title = c.check_mode ? 'Cleanup (check mode: what remediate would do)' : 'Cleanup';
    var box = h('div', { class: 'cleanup' }, h('h3', { text: title }));
    if (!c.actions.length && !c.left_alone.length) {
      var stale = host.overview.stale_names;
      box.appendChild(h('p', { class: 'note', text: host.mode === 'remediate'
        ? 'Nothing to clean up.'
        : 'This run (' + host.mode + ') does not clean up.' + (stale ? ' The evidence names as stale: ' + stale + (host.stale_networks.length ? ', networks ' + host.stale_networks.map(function (n) { return n.name; }).join(', ') : '') + '; fanout.docker.remediate --check lists the exact plan.' : '') }));
      return box;
    }
    if (c.actions.length) {
      box.appendChild(table(['Status', 'Action', 'Target', 'Why'], c.actions.map(function (a) {
        var word = a.status === 'planned' ? 'would do' : a.status;
        return h('tr', { class: 'action-row', 'data-status': a.status },
          td(badge(word, 'action-' + (a.status === 'planned' || a.status === 'done' ? a.status : 'failed'))),
          td(a.what), td(h('code', { text: a.target })),
          td(list(a.reasons.concat(a.error ? ['error: ' + a.error] : []))));
      }), { class: 'actions' }));
    } else {
      box.appendChild(h('p', { class: 'note', text: 'No action.' }));
    }
    if (c.left_alone.length) {
      box.appendChild(h('h4', { text: 'Left alone' }));
      box.appendChild(table(['Kind', 'Name', 'Why'], c.left_alone.map(function (l) {
        return h('tr', { class: 'left-alone' }, td(l.kind), td(h('code', { text: l.name })), td(l.reason));
      }), { class: 'left-alone' }));
    }
    return box;
  }

  /* ---- drawing ------------------------------------------------------------------------- */
  var measure = document.createElement('canvas').getContext('2d');
  function textWidth(text, font) { measure.font = font; return measure.measureText(text).width; }
  var LINE = 15, PAD_X = 10, PAD_Y = 7, GROUP_TOP = 26;

  function figure(g) {
    var drawing = h('div', { class: 'drawing', id: 'drawing-' + g.id, 'data-kind': g.kind });
    var legend = g.kind === 'names'
      ? h('div', { class: 'legend' }, h('span', { class: 'l-live', text: 'live' }), h('span', { class: 'l-stale', text: 'suspected stale' }),
        h('span', { class: 'l-replica', text: 'replica' }), h('span', { class: 'l-undecided', text: 'undecided' }), h('span', { class: 'l-kept', text: 'kept (keep entry)' }),
        h('span', { class: 'l-planned', text: 'cleanup would act' }), h('span', { class: 'l-done', text: 'cleanup acted' }),
        'solid line: the network that answers; dashed: shadowed or asked later; numbers: resolution order; hover for the evidence')
      : h('div', { class: 'legend', text: 'containers and the user-defined networks they are attached to; hover for details' });
    var fig = h('figure', { class: 'graph', 'data-graph': g.id }, h('figcaption', { text: g.caption }), drawing, legend);
    fig._graph = g;
    return fig;
  }

  function nodeSize(n) {
    var w = 0;
    n.lines.forEach(function (line, i) { w = Math.max(w, textWidth(line, (i === 0 ? 'bold ' : '') + '12px sans-serif')); });
    return { width: Math.ceil(w) + 2 * PAD_X, height: n.lines.length * LINE + 2 * PAD_Y };
  }

  function elkGraph(g) {
    var children = {};
    var top = [];
    g.groups.forEach(function (grp) {
      var minWidth = Math.ceil(textWidth(grp.label, 'bold 13px sans-serif')) + 24;
      var node = { id: grp.id, children: [], layoutOptions: {
        'elk.padding': '[top=' + GROUP_TOP + ',left=12,bottom=12,right=12]',
        'elk.nodeSize.constraints': 'MINIMUM_SIZE', 'elk.nodeSize.minimum': '(' + minWidth + ',40)',
        'elk.layered.layering.layerConstraint': 'LAST' } };
      children[grp.id] = node;
      top.push(node);
    });
    g.nodes.forEach(function (n) {
      var size = nodeSize(n);
      var node = { id: n.id, width: size.width, height: size.height, layoutOptions: {} };
      if (n.kind === 'consumer') node.layoutOptions['elk.layered.layering.layerConstraint'] = 'FIRST';
      if (n.parent && children[n.parent]) children[n.parent].children.push(node); else top.push(node);
    });
    return {
      id: 'root',
      layoutOptions: {
        'elk.algorithm': 'layered', 'elk.direction': 'RIGHT', 'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
        'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES', 'elk.edgeRouting': 'ORTHOGONAL',
        'elk.spacing.nodeNode': '18', 'elk.layered.spacing.nodeNodeBetweenLayers': '56', 'elk.spacing.edgeLabel': '2',
        'elk.padding': '[top=8,left=8,bottom=8,right=8]'
      },
      children: top,
      edges: g.edges.map(function (e) {
        var edge = { id: e.id, sources: [e.source], targets: [e.target] };
        if (e.label) edge.labels = [{ text: e.label, width: Math.ceil(textWidth(e.label, '11px sans-serif')) + 2, height: 13 }];
        return edge;
      })
    };
  }

  function draw(fig, elk) {
    var g = fig._graph;
    var target = fig.querySelector('.drawing');
    if (!g.nodes.length) {
      target.appendChild(h('p', { class: 'note', text: 'No containers on user-defined networks.' }));
      return Promise.resolve();
    }
    return elk.layout(elkGraph(g)).then(function (laid) {
      var byId = {};
      g.nodes.forEach(function (n) { byId[n.id] = n; });
      g.groups.forEach(function (grp) { byId[grp.id] = grp; });
      var abs = { root: { x: 0, y: 0 } };
      var svg = s('svg', { xmlns: SVGNS, width: Math.ceil(laid.width), height: Math.ceil(laid.height), viewBox: '0 0 ' + Math.ceil(laid.width) + ' ' + Math.ceil(laid.height),
        role: 'img', 'aria-label': g.caption, 'data-graph': g.id });
      svg.appendChild(s('defs', {}, s('marker', { id: 'arrow-' + g.id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        s('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#59636e' }))));
      var groupLayer = s('g', { class: 'groups' }), edgeLayer = s('g', { class: 'edges' }), nodeLayer = s('g', { class: 'nodes' });
      svg.appendChild(groupLayer); svg.appendChild(edgeLayer); svg.appendChild(nodeLayer);

      function place(list, ox, oy) {
        (list || []).forEach(function (c) {
          var x = ox + c.x, y = oy + c.y;
          abs[c.id] = { x: x, y: y };
          var info = byId[c.id];
          if (c.children && c.children.length || (info && !info.kind)) {
            groupLayer.appendChild(s('g', { class: ['group'].concat(info.classes), 'data-name-group': info.label },
              s('title', { text: info.title }),
              s('rect', { x: x, y: y, width: c.width, height: c.height, rx: 8 }),
              s('text', { x: x + 12, y: y + 17, text: info.label })));
            place(c.children, x, y);
            return;
          }
          var attrs = { class: ['node', info.kind].concat(info.classes), 'data-id': info.id, 'data-kind': info.kind };
          if (info.container) { attrs['data-container'] = info.container; attrs['data-role'] = info.role; attrs['data-name'] = info.name; }
          var node = s('g', attrs, s('title', { text: info.title }), s('rect', { x: x, y: y, width: c.width, height: c.height, rx: 5 }));
          info.lines.forEach(function (line, i) {
            node.appendChild(s('text', { x: x + PAD_X, y: y + PAD_Y + LINE * i + 11, class: (info.line_classes || [])[i] || 'sub', text: line }));
          });
          nodeLayer.appendChild(node);
        });
      }
      place(laid.children, 0, 0);

      var edgeInfo = {};
      g.edges.forEach(function (e) { edgeInfo[e.id] = e; });
      (laid.edges || []).forEach(function (e) {
        var info = edgeInfo[e.id];
        var off = abs[e.container || 'root'] || { x: 0, y: 0 };
        var group = s('g', { class: ['edge'].concat(info.classes), 'data-source': info.source, 'data-target': info.target }, s('title', { text: info.title }));
        (e.sections || []).forEach(function (sec) {
          var pts = [sec.startPoint].concat(sec.bendPoints || [], [sec.endPoint]);
          var d = pts.map(function (p, i) { return (i ? 'L' : 'M') + (p.x + off.x) + ',' + (p.y + off.y); }).join(' ');
          group.appendChild(s('path', { d: d, 'marker-end': 'url(#arrow-' + g.id + ')' }));
        });
        (e.labels || []).forEach(function (l) {
          group.appendChild(s('text', { x: l.x + off.x + 1, y: l.y + off.y + 10, text: l.text }));
        });
        edgeLayer.appendChild(group);
      });
      target.appendChild(svg);
    }).catch(function (err) {
      target.appendChild(h('p', { class: 'failed', text: 'could not draw this graph: ' + err }));
      throw err;
    });
  }

  /* ---- page ---------------------------------------------------------------------------- */
  document.title = 'fanout.docker fleet report (' + data.mode + (data.check_mode ? ', check mode' : '') + ')';
  root.textContent = '';
  root.appendChild(overview());
  data.hosts.forEach(function (host) { root.appendChild(hostSection(host)); });

  var elk = new ELK();
  var figures = Array.prototype.slice.call(document.querySelectorAll('figure.graph'));
  var ready = Promise.all(figures.map(function (f) { return draw(f, elk); })).then(function () {
    document.documentElement.setAttribute('data-report', 'drawn');
    return figures.length;
  }, function (err) {
    document.documentElement.setAttribute('data-report', 'failed');
    console.error('fanout report: drawing failed:', err);
    throw err;
  });
  window.fanoutReport = { data: data, ready: ready };
  if (location.hash) {
    ready.then(function () { var t = document.getElementById(location.hash.slice(1)); if (t) t.scrollIntoView(); }, function () {});
  }
}());
