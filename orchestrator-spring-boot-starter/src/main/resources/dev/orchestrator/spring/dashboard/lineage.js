// Lineage: the task's whole chain or DAG, parents above children, coloured by status; a node
// opens its task. Layout: layers by longest path from a root, order within a layer by the mean
// position of each node's parents (a few sweeps), a layer wider than the window wrapped onto
// several rows (so 50 nodes stay readable without sideways scrolling), edges as curves.

import { get } from './api.js';
import { drawn, h, s, clear, title, shortId } from './dom.js';
import * as live from './live.js';

export const NODE_W = 150;
export const NODE_H = 46;
const GAP_X = 20;
const GAP_Y = 56;

/** Redraws when the window's width changes. */
export const drawsToWidth = true;

export async function render(main, { id }) {
  const box = h('div.graph-box');
  const head = h('div.head', h('h1', 'Lineage'), h('nav.sub', h('a', { href: '#/task/' + id }, '← Task ' + shortId(id))));
  clear(main, head, box);
  let known = new Set();
  let roots = new Set();

  async function load() {
    try {
      const lin = await get('/tasks/' + id + '/lineage');
      known = new Set(lin.tasks.map((t) => t.id));
      roots = new Set(lin.tasks.map((t) => t.rootId || t.id));
      clear(box, legend(lin.tasks.length), graph(lin, id, perRow(box)));
      drawn();
    } catch (e) {
      clear(box, h('p.state.error', { role: 'alert' }, 'Cannot load the lineage: ' + e.message));
    }
  }
  await load();
  const reload = live.throttle(load, 300);
  window.addEventListener('resize', reload);
  const off = live.subscribe({
    onEvent: async (ev) => {
      if (known.has(ev.taskId)) {
        reload();
      } else if (!ev.from) {
        // a new task: is it a new child of this graph? (events do not carry the root)
        try {
          const t = await get('/tasks/' + ev.taskId);
          if (roots.has(t.rootId) || (t.parentIds || []).some((p) => known.has(p))) reload();
        } catch (e) {
          // not ours, or gone
        }
      }
    },
    onPoll: load,
  });
  return () => {
    window.removeEventListener('resize', reload);
    off();
  };
}

/** How many boxes fit side by side in the box's width. */
export function perRow(box) {
  const inner = box.clientWidth - 2 * parseFloat(getComputedStyle(box).paddingLeft);
  return Math.max(1, Math.floor((inner - 24 + GAP_X) / (NODE_W + GAP_X)));
}

function legend(n) {
  return h('p.muted', n === 1 ? '1 task: it has no parents or children.' : n + ' tasks. Select one to open it.');
}

export function layout(tasks, edges, perRow = Infinity) {
  const parents = new Map(tasks.map((t) => [t.id, []]));
  const children = new Map(tasks.map((t) => [t.id, []]));
  for (const e of edges) {
    if (!parents.has(e.childId) || !children.has(e.parentId)) continue;
    parents.get(e.childId).push(e.parentId);
    children.get(e.parentId).push(e.childId);
  }
  const layer = new Map();
  const depth = (tid, seen = new Set()) => {
    if (layer.has(tid)) return layer.get(tid);
    if (seen.has(tid)) return 0; // a cycle cannot happen; be safe anyway
    seen.add(tid);
    const ps = parents.get(tid);
    const d = ps.length ? 1 + Math.max(...ps.map((p) => depth(p, seen))) : 0;
    layer.set(tid, d);
    return d;
  };
  tasks.forEach((t) => depth(t.id));
  const layers = [];
  const byCreated = [...tasks].sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  for (const t of byCreated) (layers[layer.get(t.id)] = layers[layer.get(t.id)] || []).push(t.id);
  const pos = new Map();
  const index = () => layers.forEach((l) => l.forEach((tid, i) => pos.set(tid, i)));
  index();
  for (let sweep = 0; sweep < 4; sweep++) {
    for (let i = 1; i < layers.length; i++) {
      const mean = (tid) => {
        const ps = parents.get(tid);
        return ps.length ? ps.reduce((a, p) => a + pos.get(p), 0) / ps.length : pos.get(tid);
      };
      layers[i].sort((a, b) => mean(a) - mean(b));
      index();
    }
  }
  const rows = [];
  for (const l of layers) for (let i = 0; i < l.length; i += perRow) rows.push(l.slice(i, i + perRow));
  const widest = Math.max(...rows.map((r) => r.length));
  const coords = new Map();
  rows.forEach((r, ri) => {
    const offset = ((widest - r.length) * (NODE_W + GAP_X)) / 2;
    r.forEach((tid, i) => coords.set(tid, { x: 12 + offset + i * (NODE_W + GAP_X), y: 12 + ri * (NODE_H + GAP_Y) }));
  });
  return {
    coords,
    width: 24 + widest * (NODE_W + GAP_X) - GAP_X,
    height: 24 + rows.length * (NODE_H + GAP_Y) - GAP_Y,
  };
}

/**
 * Draws each edge {parentId, childId} between the laid-out boxes as a curve with an arrowhead,
 * under a marker of this id (unique in the page). An edge that skips rows and would pass behind a
 * box of the rows between goes round it, down the free lane nearest to its middle.
 */
export function drawEdges(svg, edges, coords, markerId) {
  svg.append(s('defs', {}, s('marker', { id: markerId, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' }, s('path', { d: 'M0 0 10 5 0 10z', class: 'arrowhead' }))));
  const boxes = [...coords.values()];
  for (const e of edges) {
    const a = coords.get(e.parentId);
    const b = coords.get(e.childId);
    if (!a || !b) continue;
    const x1 = a.x + NODE_W / 2;
    const y1 = a.y + NODE_H;
    const x2 = b.x + NODE_W / 2;
    const y2 = b.y - 2;
    const my = (y1 + y2) / 2;
    const between = boxes.filter((c) => c.y > a.y && c.y < b.y);
    const lane = freeLane(between, x1, x2);
    const d = lane === null
      ? `M${x1} ${y1} C${x1} ${my} ${x2} ${my} ${x2} ${y2}`
      : `M${x1} ${y1} C${x1} ${y1 + GAP_Y / 2} ${lane} ${y1} ${lane} ${y1 + GAP_Y / 2} L${lane} ${y2 - GAP_Y / 2} C${lane} ${y2} ${x2} ${y2 - GAP_Y / 2} ${x2} ${y2}`;
    svg.append(s('path', { d, class: 'edge', 'marker-end': `url(#${markerId})`, 'data-from': e.parentId, 'data-to': e.childId }));
  }
}

/** Null when no box lies between x1 and x2; else the x nearest their middle that misses every box. */
function freeLane(boxes, x1, x2) {
  const hits = (x, c) => x > c.x - 4 && x < c.x + NODE_W + 4;
  const lo = Math.min(x1, x2);
  const hi = Math.max(x1, x2);
  if (!boxes.some((c) => c.x < hi + 4 && c.x + NODE_W > lo - 4)) return null;
  const mid = (x1 + x2) / 2;
  const candidates = boxes.flatMap((c) => [c.x - GAP_X / 2, c.x + NODE_W + GAP_X / 2]);
  const free = candidates.filter((x) => !boxes.some((c) => hits(x, c)));
  free.sort((p, q) => Math.abs(p - mid) - Math.abs(q - mid));
  return free.length ? free[0] : null;
}

function graph(lin, current, perRow) {
  const { coords, width, height } = layout(lin.tasks, lin.edges, perRow);
  const svg = s('svg', { class: 'lineage', id: 'lineage', width, height, viewBox: `0 0 ${width} ${height}`, role: 'group', 'aria-label': 'Lineage graph' });
  drawEdges(svg, lin.edges, coords, 'arrow');
  for (const t of lin.tasks) {
    const c = coords.get(t.id);
    const name = title(t);
    const shown = name.length > 19 ? name.slice(0, 18) + '…' : name;
    const node = s('a', { href: '#/task/' + t.id, class: 'node s-' + t.status.toLowerCase() + (t.id === current ? ' current' : ''), 'data-id': t.id, 'aria-label': name + ', ' + t.status },
      s('title', {}, name + ' (' + t.status + ')'),
      s('rect', { x: c.x, y: c.y, width: NODE_W, height: NODE_H, rx: 6 }),
      s('text', { x: c.x + 10, y: c.y + 19, class: 'node-name' }, shown),
      s('text', { x: c.x + 10, y: c.y + 36, class: 'node-status' }, t.status.toLowerCase() + ' · ' + shortId(t.id)),
    );
    svg.append(node);
  }
  return h('div.graph-scroll', svg);
}
