// The dashboard's tables: one renderer per data route, each filling its table from the route's
// answer with textContent only (query texts and table names are never parsed as HTML).
((root) => {
  const F = root.ShannonFormat;
  const $ = (id) => document.getElementById(id);

  // ---- tables ---------------------------------------------------------------------------------
  /** Statement texts longer than this are cut in the table; the whole text is the cell's tooltip. */
  const QUERY_CHARS = 400;

  /**
   * Fills a table: `header` names the columns (a leading '#' right-aligns one); cells are text or
   * {text, cls, code, query} (`query`: a statement text, shown cut to QUERY_CHARS).
   */
  function rows(id, header, data, empty) {
    const table = $(id);
    table.textContent = '';
    const numeric = header.map((h) => h.charAt(0) === '#');
    const head = table.insertRow();
    header.forEach((h, i) => {
      const th = document.createElement('th');
      th.textContent = numeric[i] ? h.slice(1) : h;
      if (numeric[i]) th.className = 'num';
      head.appendChild(th);
    });
    if (data.length === 0 && empty) data = [[{ text: empty, cls: 'muted' }]];
    data.forEach((r) => {
      const row = table.insertRow();
      r.forEach((cell, i) => {
        const td = row.insertCell();
        const c = cell !== null && typeof cell === 'object' ? cell : { text: cell };
        const text = c.text === null || c.text === undefined ? '' : String(c.text);
        if (c.code || c.query) {
          const code = document.createElement('code');
          code.textContent = c.query && text.length > QUERY_CHARS ? text.slice(0, QUERY_CHARS) + ' …' : text;
          if (c.query) {
            code.className = 'query';
            code.title = text;
          }
          td.appendChild(code);
        } else {
          td.textContent = text;
        }
        td.className = [numeric[i] ? 'num' : '', c.cls || ''].join(' ').trim();
      });
    });
  }

  function severity(s) {
    return { text: s, cls: s === 'critical' ? 'bad' : s === 'warning' ? 'warn' : 'muted' };
  }
  function evidence(e) {
    return Object.keys(e || {})
      .map((k) => k + '=' + (typeof e[k] === 'object' ? JSON.stringify(e[k]) : e[k]))
      .join(' ');
  }

  // ---- renderers, one per data route ----------------------------------------------------------
  function renderOverview(o) {
    const p = o.pool;
    rows(
      'pool',
      ['PostgreSQL pool', '#'],
      [
        ['connections in use', p.inUse + ' / ' + p.max],
        ['idle', p.idle],
        ['callers waiting', { text: p.waiting, cls: p.waiting > 0 ? 'warn' : '' }],
      ].concat(
        o.breakers.map((b) => [
          'breaker ' + b.name,
          { text: b.state, cls: b.state === 'closed' ? 'ok' : 'bad' },
        ]),
      ),
    );
    const i = o.ingest;
    rows(
      'ingest',
      ['write path', ''],
      i === null
        ? []
        : [
            ['state', { text: i.state, cls: i.state === 'open' ? 'ok' : 'warn' }],
            ['queued', F.count(i.queue.queuedRecords) + ' records, ' + F.bytes(i.queue.queuedBytes)],
            [
              'accepted, not settled',
              F.count(i.queue.pendingRecords) + ' records, ' + F.bytes(i.queue.pendingBytes),
            ],
            ['oldest queued record', F.duration(i.queue.oldestAgeMs / 1000)],
            ['callers waiting for room', i.queue.waiting],
            [
              'spool',
              F.count(i.spool.records) +
                ' records, ' +
                F.bytes(i.spool.bytes) +
                ' in ' +
                i.spool.segments +
                ' segments',
            ],
            ['flushes running', i.activeFlushes],
          ],
      'the write path is not wired in this process',
    );
  }

  function renderDoctor(d) {
    const s = d.summary || {};
    rows(
      'findings',
      ['severity', 'code', 'object', 'evidence', 'fix'],
      d.findings
        .slice(0, 100)
        .map((f) => [
          severity(f.severity),
          { text: f.code, cls: 'nowrap' },
          f.object,
          evidence(f.evidence),
          { text: f.fix, code: true },
        ]),
      'no findings (' + (s.critical || 0) + ' critical, ' + (s.warning || 0) + ' warning)',
    );
  }

  function renderSlow(s) {
    if (!s.available) return rows('slow', ['slow queries'], [[{ text: s.reason, cls: 'warn' }]]);
    rows(
      'slow',
      ['#total', '#share', '#calls', '#mean', '#rows', 'query'],
      s.queries.map((q) => [
        F.millis(q.totalMs),
        q.percentOfTotal.toFixed(1) + ' %',
        F.count(q.calls),
        F.millis(q.meanMs),
        F.count(q.rows),
        { text: q.query, query: true },
      ]),
      'no statements recorded yet' + (s.since ? ' since ' + F.date(s.since) : ''),
    );
  }

  function renderAdvice(a) {
    rows(
      'advice',
      ['table', 'CREATE INDEX', '#cost before → after', '#calls', 'statement'],
      a.suggestions.map((x) => {
        const best = x.statements[0] || { costBefore: null, costAfter: null, calls: 0, query: '' };
        return [
          x.table + (x.writeHeavy ? ' (write-heavy)' : ''),
          { text: x.createStatement, code: true },
          F.count(best.costBefore) + ' → ' + F.count(best.costAfter),
          F.count(x.statements.reduce((n, s) => n + s.calls, 0)),
          { text: best.query, query: true },
        ];
      }),
      'no index would halve the cost of a statement (' + a.examined + ' examined)',
    );
  }

  function renderPartitions(p) {
    rows(
      'partitions',
      ['table', '#partitions', 'range', '#size', '#rows (est.)', '#in default', 'missing ahead'],
      p.tables.map((t) => [
        t.table,
        t.partitions,
        t.first || t.last ? F.date(t.first) + ' → ' + F.date(t.last) : '–',
        F.bytes(t.bytes),
        F.count(t.estimatedRows),
        { text: F.count(t.defaultRows), cls: t.defaultRows > 0 ? 'bad' : 'ok' },
        {
          text: t.missingAhead.length ? t.missingAhead.join(', ') : 'none',
          cls: t.missingAhead.length ? 'bad' : 'ok',
        },
      ]),
      'no partitioned tables',
    );
  }

  function renderTables(t) {
    rows(
      'tables',
      ['table', '#size', '#rows (est.)'],
      t.tables.map((x) => [
        x.table + (x.partitioned ? ' (partitioned)' : ''),
        F.bytes(x.bytes),
        F.count(x.estimatedRows),
      ]),
    );
  }

  function renderCollections(c) {
    rows(
      'collections',
      ['collection', 'state', '#points', '#in index', '#indexed vectors', 'index'],
      c.collections
        .map((x) => [
          x.collection + ' v' + x.version,
          x.state,
          F.count(x.sourcePoints),
          F.count(x.indexPoints),
          F.count(x.indexedVectors),
          { text: x.indexStatus, cls: x.indexStatus === 'green' ? 'ok' : 'warn' },
        ])
        .concat([
          [
            { text: 'outbox (' + c.backend + ')', cls: 'muted' },
            '',
            F.count(c.outbox.depth) + ' waiting',
            'lag ' + F.duration(c.outbox.lagSeconds),
            '',
            '',
          ],
        ]),
    );
  }

  function renderTenant(t) {
    $('who').textContent = 'tenant administrator of ' + t.tenant.slug;
    rows(
      'tenant-tasks',
      ['status', '#tasks', '#tokens', '#cost'],
      t.tasks.map((x) => [x.status, F.count(x.tasks), F.count(x.tokens), '$' + x.costUsd.toFixed(2)]),
      'no tasks in ' + t.days + ' days',
    );
    rows(
      'tenant-stores',
      ['', '#'],
      [
        ['live sessions', F.count(t.liveSessions)],
        ['API keys', t.keys.length],
      ].concat(Object.keys(t.memoryPoints).map((k) => ['memory points in ' + k, F.count(t.memoryPoints[k])])),
    );
  }

  root.ShannonPanels = {
    rows,
    overview: renderOverview,
    doctor: renderDoctor,
    slow: renderSlow,
    advice: renderAdvice,
    partitions: renderPartitions,
    tables: renderTables,
    collections: renderCollections,
    tenant: renderTenant,
  };
})(window);
