// vbuf serve: the live page. Plain JS and canvas, no library, no network but this server.
'use strict';
(function () {
  const SPAN_MS = 60000;            // the time series show the last minute
  const KEEP_MS = 120000;
  const PALETTE = ['#4fa3e0', '#f0a030', '#6fd08c', '#d07ae0', '#e0d050', '#50d0d0', '#e07a7a', '#a0a0ff'];
  const STATE_COLOR = {};
  const css = getComputedStyle(document.documentElement);
  STATE_COLOR.IDLE = css.getPropertyValue('--idle').trim();
  STATE_COLOR.LOCKED_BY_PRODUCER = css.getPropertyValue('--prod').trim();
  STATE_COLOR.READY_FOR_CONSUME = css.getPropertyValue('--ready').trim();
  STATE_COLOR.LOCKED_BY_CONSUMER = css.getPropertyValue('--cons').trim();
  STATE_COLOR.RETIRED = css.getPropertyValue('--ret').trim();
  STATE_COLOR.HELD_BY_DECODER = css.getPropertyValue('--dec').trim();
  const DROP = css.getPropertyValue('--drop').trim();

  const path = location.pathname;
  const poolId = path.startsWith('/pool/') ? decodeURIComponent(path.substring(6)) : null;
  const history = new Map();   // pool id -> [{t, fpsIn, groups:{name:{lag,fps,dropped}}}]
  const drops = new Map();     // pool id -> [{t, group, n}]
  let buckets = [];

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k);
    return e;
  };
  const fmt = (x, d) => (x === null || x === undefined || x < 0) ? '-' : Number(x).toFixed(d === undefined ? 1 : d);
  const bytes = (b) => b >= 1 << 30 ? (b / (1 << 30)).toFixed(1) + ' GiB' : b >= 1 << 20 ? (b / (1 << 20)).toFixed(1) + ' MiB'
    : b >= 1024 ? (b / 1024).toFixed(1) + ' KiB' : b + ' B';

  if (poolId) { $('pool').hidden = false; $('title').textContent = 'pool ' + poolId; document.title = 'vbuf: ' + poolId; }
  else { $('overview').hidden = false; }

  function record(data) {
    buckets = data.latencyBucketsMs || [];
    const now = data.epochMillis;
    for (const p of data.pools) {
      let h = history.get(p.id);
      if (!h) { h = []; history.set(p.id, h); drops.set(p.id, []); }
      const prev = h.length ? h[h.length - 1] : null;
      const point = { t: now, fpsIn: p.fpsIn, groups: {} };
      for (const g of p.groups) {
        point.groups[g.name] = { lag: g.lag, fps: g.fps, dropped: g.dropped };
        if (prev && prev.groups[g.name] && g.dropped > prev.groups[g.name].dropped) {
          drops.get(p.id).push({ t: now, group: g.name, n: g.dropped - prev.groups[g.name].dropped });
        }
      }
      h.push(point);
      while (h.length && now - h[0].t > KEEP_MS) h.shift();
      const d = drops.get(p.id);
      while (d.length && now - d[0].t > KEEP_MS) d.shift();
    }
  }

  function overview(data) {
    $('pool-count').textContent = data.pools.length;
    $('live-count').textContent = data.pools.filter((p) => !p.stale).length;
    const cards = $('cards');
    cards.replaceChildren();
    for (const p of data.pools) {
      const hot = p.hot / p.buffers * 100, warm = p.warm / p.buffers * 100;
      const card = el('a', { class: 'card' + (p.stale ? ' stale' : ''), href: '/pool/' + encodeURIComponent(p.id), 'data-pool': p.id },
        el('h3', {}, p.name + ' ', el('span', { class: 'kind', text: p.kind + (p.layout ? ', ' + p.layout : '') })),
        el('div', { class: 'bar' }, el('div', { class: 'hot' }), el('div', { class: 'warm' }), el('div', { class: 'cold' })),
        el('div', { class: 'kv' },
          kv('published', p.published, 'published'), kv('fps in', fmt(p.fpsIn)), kv('fps out', fmt(p.fpsOut)),
          kv('drops', p.drops, 'drops'), kv('HOT', p.hot), kv('WARM', p.warm), kv('COLD', p.cold),
          kv('max lag', Math.max(0, ...p.groups.map((g) => g.lag))), kv('buffers', p.buffers), kv('memory', bytes(p.bytes)),
          kv('processes', p.processes.filter((x) => x.alive).length + '/' + p.processes.length), kv('waits', p.acquireWaits)));
      if (p.stale) card.querySelector('h3').append(el('span', { class: 'badge', text: 'STALE' }));
      if (p.endOfStream) card.querySelector('h3').append(el('span', { class: 'badge', text: 'end of stream' }));
      const bar = card.querySelector('.bar').children;
      bar[0].style.width = hot + '%'; bar[1].style.width = warm + '%'; bar[2].style.width = (100 - hot - warm) + '%';
      const grid = el('canvas', { width: 300, height: 36 });
      card.append(grid);
      cards.append(card);
      drawGrid(grid, p.slots, 12);
    }
    const probs = $('problems');
    probs.replaceChildren(...(data.problems || []).map((x) => el('p', { text: 'not read: ' + x.file + ': ' + x.error })));
  }

  function kv(label, value, cls) {
    return el('div', {}, el('b', { class: cls || '', text: String(value) }), el('span', { text: label }));
  }

  function drawGrid(canvas, slots, size) {
    const c = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height;
    c.clearRect(0, 0, w, h);
    const n = slots.length;
    let s = size || Math.floor(Math.sqrt(w * h / Math.max(1, n)));
    let cols = Math.max(1, Math.floor(w / s));
    while (Math.ceil(n / cols) * s > h && s > 3) { s--; cols = Math.max(1, Math.floor(w / s)); }
    for (let i = 0; i < n; i++) {
      const x = (i % cols) * s, y = Math.floor(i / cols) * s;
      c.fillStyle = STATE_COLOR[slots[i].state] || '#888';
      c.fillRect(x + 1, y + 1, s - 2, s - 2);
      if (s >= 22) {
        c.fillStyle = '#000'; c.font = '10px sans-serif';
        c.fillText(String(slots[i].i), x + 4, y + 13);
      }
    }
  }

  function series(canvas, id, pick, extra) {
    const c = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, left = 44, bottom = 18;
    c.clearRect(0, 0, w, h);
    const hist = history.get(id) || [];
    if (!hist.length) return;
    const now = hist[hist.length - 1].t, t0 = now - SPAN_MS;
    const lines = pick(hist);
    let max = 1;
    for (const l of lines) for (const v of l.values) max = Math.max(max, v);
    max *= 1.1;
    const X = (t) => left + (t - t0) / SPAN_MS * (w - left - 4);
    const Y = (v) => (h - bottom) - v / max * (h - bottom - 6);
    c.strokeStyle = '#2b3542'; c.fillStyle = '#8a96a3'; c.font = '10px sans-serif'; c.lineWidth = 1;
    for (let k = 0; k <= 4; k++) {
      const v = max * k / 4, y = Y(v);
      c.beginPath(); c.moveTo(left, y); c.lineTo(w, y); c.stroke();
      c.fillText(v >= 100 ? v.toFixed(0) : v.toFixed(1), 2, y + 3);
    }
    for (let s = 0; s <= 60; s += 10) c.fillText('-' + (60 - s) + 's', X(t0 + s * 1000) - 10, h - 4);
    if (extra) extra(c, X, h - bottom, t0);
    lines.forEach((l, k) => {
      c.strokeStyle = l.color || PALETTE[k % PALETTE.length]; c.lineWidth = 2; c.beginPath();
      let started = false;
      hist.forEach((p, i) => {
        if (p.t < t0) return;
        const x = X(p.t), y = Y(l.values[i]);
        if (!started) { c.moveTo(x, y); started = true; } else c.lineTo(x, y);
      });
      c.stroke();
      c.fillStyle = c.strokeStyle; c.fillText(l.name, left + 8 + k * 110, 12);
    });
  }

  function histogram(canvas, pool) {
    const c = canvas.getContext('2d');
    const w = canvas.width, h = canvas.height, bottom = 30;
    c.clearRect(0, 0, w, h);
    const groups = pool.groups;
    const nb = buckets.length;
    let max = 1;
    for (const g of groups) for (const v of g.histogram) max = Math.max(max, v);
    const bw = (w - 10) / nb, gw = Math.max(2, (bw - 4) / Math.max(1, groups.length));
    c.font = '10px sans-serif';
    for (let b = 0; b < nb; b++) {
      groups.forEach((g, k) => {
        const v = g.histogram[b], bh = v / max * (h - bottom - 14);
        c.fillStyle = PALETTE[k % PALETTE.length];
        c.fillRect(5 + b * bw + k * gw, h - bottom - bh, gw - 1, bh);
      });
      c.fillStyle = '#8a96a3';
      const label = buckets[b] === null ? '>' + buckets[b - 1] : '\u2264' + buckets[b];
      c.save(); c.translate(5 + b * bw + 2, h - 2); c.rotate(-0.6); c.fillText(label, 0, 0); c.restore();
    }
    groups.forEach((g, k) => {
      c.fillStyle = PALETTE[k % PALETTE.length];
      c.fillText(g.name + ' p50 ' + fmt(g.latencyP50Ms) + ' ms, p99 ' + fmt(g.latencyP99Ms) + ' ms (' + g.latencySamples + ')', 8 + k * 260, 11);
    });
  }

  function table(t, head, rows) {
    t.replaceChildren(el('tr', {}, ...head.map((x) => el('th', { text: x }))),
      ...rows.map((r) => el('tr', {}, ...r.map((x) => el('td', { text: String(x) })))));
  }

  function poolPage(data) {
    const p = data.pools.find((x) => x.id === poolId);
    const facts = $('facts');
    if (!p) { facts.replaceChildren(el('div', {}, el('b', { text: 'not running' }), el('span', { text: 'no pool ' + poolId + ' now' }))); return; }
    $('window').textContent = p.latencyWindowSeconds;
    const f = (label, value, id) => el('div', {}, el('span', { text: label }), el('b', { text: String(value), id: id || '' }));
    facts.replaceChildren(f('state', p.stale ? 'STALE: ' + p.staleReason : p.endOfStream ? 'end of stream' : 'live', 'f-state'),
      f('kind', p.kind), f('layout', p.layout || '-'), f('buffers', p.buffers + ' x ' + bytes(p.bufferBytes)),
      f('published', p.published, 'f-published'), f('fps in', fmt(p.fpsIn)), f('fps out (slowest group)', fmt(p.fpsOut)),
      f('HOT / WARM / COLD', p.hot + ' / ' + p.warm + ' / ' + p.cold),
      f('drops', p.drops, 'f-drops'), f('taken back (overflow policy)', p.dropsByCause.overflowPolicy),
      f('queue full', p.dropsByCause.queueFull), f('lost to crash', p.dropsByCause.lostToCrash),
      f('producer waits', p.acquireWaits), f('backing', p.backing));
    drawGrid($('grid'), p.slots);
    const names = p.groups.map((g) => g.name);
    const markers = (c, X, base, t0) => {
      for (const d of drops.get(p.id) || []) {
        if (d.t < t0) continue;
        c.strokeStyle = DROP; c.lineWidth = 1; c.beginPath(); c.moveTo(X(d.t), 4); c.lineTo(X(d.t), base); c.stroke();
      }
    };
    series($('lag'), p.id, (h) => names.map((n) => ({ name: n, values: h.map((x) => x.groups[n] ? x.groups[n].lag : 0) })), markers);
    series($('fps'), p.id, (h) => [{ name: 'published', color: '#dde3ea', values: h.map((x) => x.fpsIn) }]
      .concat(names.map((n) => ({ name: n, values: h.map((x) => x.groups[n] ? x.groups[n].fps : 0) }))), markers);
    histogram($('hist'), p);
    table($('groups'), ['group', 'lag', 'fps', 'taken', 'dropped', 'queue full', 'crash', 'held', 'oldest ms', 'p50 ms', 'p99 ms'],
      p.groups.map((g) => [g.name, g.lag, fmt(g.fps), g.taken, g.dropped, g.queueFull, g.lostToCrash, g.held,
        fmt(g.oldestHeldMs), fmt(g.latencyP50Ms), fmt(g.latencyP99Ms)]));
    table($('procs'), ['pid', 'role', 'alive', 'frames', 'filling', 'holding'],
      p.processes.map((x) => [x.pid, x.role, x.alive ? 'yes' : 'NO', x.frames, x.filling, x.holding]));
  }

  function update(data) {
    record(data);
    if (poolId) poolPage(data); else overview(data);
    document.body.dataset.updates = String((Number(document.body.dataset.updates) || 0) + 1);
  }

  function connect() {
    const es = new EventSource('/events');
    es.addEventListener('pools', (e) => {
      $('status').textContent = 'live'; $('status').className = 'status on';
      update(JSON.parse(e.data));
    });
    es.onerror = () => { $('status').textContent = 'disconnected, retrying'; $('status').className = 'status off'; };
  }
  connect();
})();
