// Make the offline base the maps draw on (directory/maps/outlines.json) from us-atlas.
//
// us-atlas is the US Census Bureau's cartographic boundary files at 1:10,000,000 as TopoJSON.
// The server draws its SVG maps from our copy, and the browser map gets the same lines from
// it, so no one needs Node.js to serve pages. We keep the topology's own compact form (arcs
// of quantised, delta-encoded integers) and say of each arc whether it is a state (or
// national) border or only a county line, plus a label point for each county and state.
// `node build-outlines.mjs` writes the file; tests/maps/test_outlines.py runs it again and
// checks that the committed copy is what it makes.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as topojson from "topojson-client";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const atlas = JSON.parse(readFileSync(here("node_modules/us-atlas/counties-10m.json"), "utf8"));
const version = JSON.parse(readFileSync(here("node_modules/us-atlas/package.json"), "utf8")).version;
const out = process.argv[2] || here("../directory/maps/outlines.json");

const stateArcs = new Set();
for (const line of topojson.meshArcs(atlas, atlas.objects.states).arcs) {
  for (const i of line) stateArcs.add(i < 0 ? ~i : i);
}
const countyArcs = new Set();
for (const line of topojson.meshArcs(atlas, atlas.objects.counties).arcs) {
  for (const i of line) countyArcs.add(i < 0 ? ~i : i);
}

// [kind, x0, y0, dx1, dy1, ...]: kind 0 a state or national border, 1 a county line.
const lines = [];
atlas.arcs.forEach((arc, i) => {
  if (!stateArcs.has(i) && !countyArcs.has(i)) return;
  if (arc.slice(1).every(([dx, dy]) => dx === 0 && dy === 0)) return; // a point, not a line
  lines.push([stateArcs.has(i) ? 0 : 1, ...arc.flat()]);
});

const [sx, sy] = atlas.transform.scale;
const [tx, ty] = atlas.transform.translate;
const quantise = ([lon, lat]) => [Math.round((lon - tx) / sx), Math.round((lat - ty) / sy)];

// A label goes at the centroid of a shape's largest ring (planar: these are small shapes).
function labelPoint(feature) {
  const polygons = feature.geometry.type === "Polygon"
    ? [feature.geometry.coordinates] : feature.geometry.coordinates;
  let best = null;
  for (const polygon of polygons) {
    const ring = polygon[0];
    let area = 0, cx = 0, cy = 0;
    for (let k = 0, j = ring.length - 1; k < ring.length; j = k++) {
      const f = ring[j][0] * ring[k][1] - ring[k][0] * ring[j][1];
      area += f; cx += (ring[j][0] + ring[k][0]) * f; cy += (ring[j][1] + ring[k][1]) * f;
    }
    if (area !== 0 && (!best || Math.abs(area) > best.area)) {
      best = { area: Math.abs(area), at: [cx / (3 * area), cy / (3 * area)] };
    }
  }
  return best && quantise(best.at);
}

// [kind, name, x, y, state id]: kind 0 a state, 1 a county.
const labels = [];
for (const [kind, object] of [[0, atlas.objects.states], [1, atlas.objects.counties]]) {
  for (const feature of topojson.feature(atlas, object).features) {
    const at = labelPoint(feature);
    if (at) labels.push([kind, feature.properties.name, ...at, String(feature.id).slice(0, 2)]);
  }
}
labels.sort((a, b) => a[0] - b[0] || a[4].localeCompare(b[4]) || a[1].localeCompare(b[1]));

const licence = readFileSync(here("node_modules/us-atlas/LICENSE"), "utf8").trim();
const data = {
  licence,
  about: `US state and county outlines from us-atlas ${version} (counties-10m.json), the US` +
    " Census Bureau's cartographic boundary files at 1:10,000,000 (public domain); made by" +
    " map/build-outlines.mjs",
  transform: atlas.transform,
  lines,
  labels,
};
// One line or label per line of text: small diffs when the atlas changes.
const text = "{\n" +
  `"about": ${JSON.stringify(data.about)},\n` +
  `"licence": ${JSON.stringify(data.licence)},\n` +
  `"transform": ${JSON.stringify(data.transform)},\n` +
  `"lines": [\n${lines.map((l) => JSON.stringify(l)).join(",\n")}\n],\n` +
  `"labels": [\n${labels.map((l) => JSON.stringify(l)).join(",\n")}\n]\n}\n`;
writeFileSync(out, text);
