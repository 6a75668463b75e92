/**
 * The operator dashboard: one static HTML page with inline script, served at `/dashboard`. It holds
 * no data itself; it asks for an API key with the `operator` scope (kept in sessionStorage) and polls
 * the `/v1/admin/*` endpoints and `/readyz`. Rendering uses textContent only (no HTML injection from
 * query texts or table names).
 */

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shannon Data — dashboard</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f6f7f9; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 16px; margin: 0; flex: 1; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; padding: 16px 20px; }
  section { background: #fff; border-radius: 6px; padding: 12px 16px; box-shadow: 0 1px 2px rgba(0,0,0,.08); overflow: auto; }
  section h2 { font-size: 14px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; }
  td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #eee; vertical-align: top; }
  .ok { color: #137333; } .warn { color: #b06000; } .bad { color: #c5221f; }
  .muted { color: #667; } input { width: 320px; }
</style>
</head>
<body>
<header><h1>Shannon Data</h1><span id="ready" class="muted">…</span>
  <input id="key" type="password" placeholder="API key with the operator scope" autocomplete="off">
  <button id="save">Use key</button></header>
<main>
  <section><h2>Pool and breakers</h2><table id="pool"></table></section>
  <section><h2>Write path (queue and spool)</h2><table id="ingest"></table></section>
  <section><h2>Vector collections</h2><table id="collections"></table></section>
  <section><h2>Findings (slow queries, indexes, vacuum, partitions)</h2><table id="findings"></table></section>
  <section><h2>Index advice (verified with hypopg)</h2><table id="advice"></table></section>
  <section><h2>Partitions</h2><table id="partitions"></table></section>
  <section><h2>Largest tables</h2><table id="tables"></table></section>
</main>
<script>
(function () {
  var keyInput = document.getElementById('key');
  keyInput.value = sessionStorage.getItem('shannonKey') || '';
  document.getElementById('save').onclick = function () { sessionStorage.setItem('shannonKey', keyInput.value.trim()); refresh(true); };
  function rows(id, header, data) {
    var table = document.getElementById(id);
    table.textContent = '';
    var tr = table.insertRow();
    header.forEach(function (h) { var th = document.createElement('th'); th.textContent = h; tr.appendChild(th); });
    data.forEach(function (r) {
      var row = table.insertRow();
      r.forEach(function (cell) {
        var td = row.insertCell();
        if (cell && typeof cell === 'object') { td.textContent = cell.text; td.className = cell.cls; } else { td.textContent = cell == null ? '' : String(cell); }
      });
    });
  }
  function bytes(n) { var u = ['B','KiB','MiB','GiB','TiB']; var i = 0; while (n >= 1024 && i < 4) { n /= 1024; i++; } return n.toFixed(i ? 1 : 0) + ' ' + u[i]; }
  function get(path) {
    return fetch(path, { headers: { authorization: 'Bearer ' + (sessionStorage.getItem('shannonKey') || '') } })
      .then(function (r) { return r.json().then(function (b) { if (!r.ok) throw new Error((b.error && b.error.code) || r.status); return b; }); });
  }
  function fail(id) { return function (e) { rows(id, ['error'], [[{ text: String(e.message), cls: 'bad' }]]); }; }
  function refresh(slow) {
    fetch('/readyz').then(function (r) { var el = document.getElementById('ready'); el.textContent = r.ok ? 'ready' : 'not ready'; el.className = r.ok ? 'ok' : 'bad'; });
    // Without a key every call would be a failed authentication, counted against this address.
    if (!sessionStorage.getItem('shannonKey')) { rows('pool', ['', ''], [['enter an API key with the operator scope above', '']]); return; }
    get('/v1/admin/overview').then(function (o) {
      var p = o.pool;
      rows('pool', ['', ''], [['connections in use', p.inUse + ' / ' + p.max], ['idle', p.idle], ['callers waiting', p.waiting]].concat(
        o.breakers.map(function (b) { return ['breaker ' + b.name, { text: b.state, cls: b.state === 'closed' ? 'ok' : 'bad' }]; })));
      var i = o.ingest;
      rows('ingest', ['', ''], i ? [['state', i.state], ['queue', JSON.stringify(i.queue)], ['spool', JSON.stringify(i.spool)], ['flushes running', i.activeFlushes]] : [['write path', 'not wired']]);
      rows('collections', ['collection', 'physical', 'state', 'dim'], o.memory ? o.memory.collections.map(function (c) { return [c.collection, c.physicalName, c.state, c.dimension]; }) : []);
    }).catch(fail('pool'));
    if (!slow) return;
    get('/v1/admin/doctor').then(function (d) {
      rows('findings', ['severity', 'code', 'object', 'fix'], d.findings.slice(0, 50).map(function (f) {
        return [{ text: f.severity, cls: f.severity === 'critical' ? 'bad' : f.severity === 'warning' ? 'warn' : 'muted' }, f.code, f.object, f.fix];
      }));
    }).catch(fail('findings'));
    get('/v1/admin/indexes/advice').then(function (a) {
      var list = a.recommendations || a.advice || a.candidates || [];
      rows('advice', ['index', 'detail'], list.slice(0, 30).map(function (x) { return [x.createIndex || x.sql || x.definition || JSON.stringify(x), x.costBefore != null ? x.costBefore + ' → ' + x.costAfter : '']; }));
    }).catch(fail('advice'));
    get('/v1/admin/partitions').then(function (p) {
      rows('partitions', ['table', 'partitions', 'last', 'default rows', 'missing ahead'], p.tables.map(function (t) {
        return [t.table, t.partitions, t.last, { text: String(t.defaultRows), cls: t.defaultRows > 0 ? 'bad' : 'ok' }, t.missingAhead.join(' ')];
      }));
    }).catch(fail('partitions'));
    get('/v1/admin/tables').then(function (t) {
      rows('tables', ['table', 'size', 'rows (est.)'], t.tables.map(function (x) { return [x.table + (x.partitioned ? ' (partitioned)' : ''), bytes(x.bytes), x.estimatedRows]; }));
    }).catch(fail('tables'));
  }
  refresh(true);
  setInterval(function () { refresh(false); }, 5000);
  setInterval(function () { refresh(true); }, 60000);
})();
</script>
</body>
</html>
`;
