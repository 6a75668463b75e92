// Time-series charts of the dashboard, drawn with uPlot from the series endpoint's columns
// (`times` plus one column per series key; a key "group:label" belongs to the chart of "group").
((root) => {
  const F = root.ShannonFormat;
  const COLORS = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#ff7f0e',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#17becf',
    '#7f7f7f',
    '#bcbd22',
  ];
  const BREAKER_STATES = ['closed', 'half-open', 'open', 'isolated'];

  /** The charts, in page order: which series keys each draws and how its values read. */
  const CHARTS = [
    { id: 'ingest', title: 'Ingest records/s by kind', group: 'ingest_records_per_second', format: F.rate },
    { id: 'queue', title: 'Write queue depth (records)', group: 'queue_records', format: F.count },
    {
      id: 'queue_age',
      title: 'Write queue oldest record age',
      group: 'queue_oldest_age_seconds',
      format: F.duration,
    },
    { id: 'spool', title: 'Spool (bytes on disk)', group: 'spool_bytes', format: F.bytes },
    {
      id: 'pool',
      title: 'PostgreSQL pool connections (against its maximum)',
      group: 'pool',
      format: F.count,
      dashed: 'max',
    },
    { id: 'breakers', title: 'Circuit breakers', group: 'breaker_state', format: breakerName, range: [0, 3] },
    { id: 'http', title: 'HTTP requests/s (all and 5xx)', group: 'http_requests_per_second', format: F.rate },
    {
      id: 'query_p95',
      title: 'PostgreSQL query latency p95',
      group: 'db_query_p95_seconds',
      format: F.duration,
    },
    {
      id: 'search_p95',
      title: 'Memory search latency p95 by collection',
      group: 'memory_search_p95_seconds',
      format: F.duration,
    },
    { id: 'outbox', title: 'Memory outbox lag', group: 'outbox_lag_seconds', format: F.duration },
  ];

  function breakerName(v) {
    return v === null || v === undefined ? '–' : BREAKER_STATES[Math.round(v)] || String(v);
  }

  function keysOf(group, series) {
    return Object.keys(series)
      .filter((k) => k === group || k.indexOf(group + ':') === 0)
      .sort();
  }

  function labelOf(key, title) {
    const i = key.indexOf(':');
    return i < 0 ? title.replace(/\s*\(.*$/, '') : key.slice(i + 1);
  }

  function options(spec, keys, width) {
    return {
      width: width,
      height: 170,
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        y: spec.range
          ? { range: spec.range }
          : { range: (_u, min, max) => [Math.min(0, min), Math.max(1e-9, max) * 1.1] },
      },
      axes: [
        {},
        {
          size: 70,
          values: (_u, ticks) => ticks.map(spec.format),
          splits: spec.range ? () => [0, 1, 2, 3] : undefined,
        },
      ],
      series: [{}].concat(
        keys.map((key, i) => {
          const label = labelOf(key, spec.title);
          return {
            label: label,
            stroke: COLORS[i % COLORS.length],
            width: 1.5,
            dash: spec.dashed === label ? [6, 4] : undefined,
            value: (_u, v) => spec.format(v),
          };
        }),
      ),
    };
  }

  /** Builds the chart cards inside `container`; returns an object whose `update(snapshot)` redraws them. */
  function createCharts(container) {
    const charts = {};
    CHARTS.forEach((spec) => {
      const card = document.createElement('div');
      card.className = 'chart';
      card.setAttribute('data-chart', spec.id);
      const h = document.createElement('h2');
      h.textContent = spec.title;
      const plot = document.createElement('div');
      plot.className = 'plot';
      card.appendChild(h);
      card.appendChild(plot);
      container.appendChild(card);
      charts[spec.id] = { spec: spec, plot: plot, keys: '', uplot: null, data: null };
    });

    function update(snapshot) {
      CHARTS.forEach((spec) => {
        const c = charts[spec.id];
        const keys = keysOf(spec.group, snapshot.series);
        const data = [snapshot.times].concat(keys.map((k) => snapshot.series[k]));
        c.data = data;
        if (keys.length === 0) {
          if (c.uplot) c.uplot.destroy();
          c.uplot = null;
          c.keys = '';
          c.plot.textContent = '';
          const empty = document.createElement('p');
          empty.className = 'empty';
          empty.textContent = 'no data yet';
          c.plot.appendChild(empty);
          return;
        }
        const width = Math.max(300, c.plot.clientWidth || 400);
        if (c.uplot === null || c.keys !== keys.join('|')) {
          if (c.uplot) c.uplot.destroy();
          c.plot.textContent = '';
          c.uplot = new root.uPlot(options(spec, keys, width), data, c.plot);
          c.keys = keys.join('|');
        } else {
          c.uplot.setData(data);
        }
      });
    }

    function resize() {
      CHARTS.forEach((spec) => {
        const c = charts[spec.id];
        if (c.uplot) c.uplot.setSize({ width: Math.max(300, c.plot.clientWidth), height: 170 });
      });
    }
    root.addEventListener('resize', resize);
    return { charts: charts, update: update };
  }

  root.ShannonCharts = { CHARTS: CHARTS, createCharts: createCharts, keysOf: keysOf };
})(window);
