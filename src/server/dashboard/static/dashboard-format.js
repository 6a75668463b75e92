// Human formatting for the dashboard: counts (1.2 k), bytes (3.4 MB), durations (12 ms), ages
// ("2 min ago") and dates. Plain functions on one global, so a test can load this file alone.
((root) => {
  function trim(n, digits) {
    return Number(n.toFixed(digits)).toString();
  }

  /** 950 → "950", 1234 → "1.2 k", 3400000 → "3.4 M"; fractions below 10 keep one decimal. */
  function count(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return '–';
    const abs = Math.abs(n);
    const units = [
      [1e12, ' T'],
      [1e9, ' G'],
      [1e6, ' M'],
      [1e3, ' k'],
    ];
    for (let i = 0; i < units.length; i++) {
      if (abs >= units[i][0]) return trim(n / units[i][0], abs >= units[i][0] * 100 ? 0 : 1) + units[i][1];
    }
    return abs >= 10 || Number.isInteger(n) ? String(Math.round(n)) : trim(n, abs >= 1 ? 1 : 2);
  }

  /** Decimal units, as disk and network figures are quoted: 3400000 → "3.4 MB". */
  function bytes(n) {
    if (n === null || n === undefined || Number.isNaN(n)) return '–';
    const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
    let i = 0;
    let v = Math.abs(n);
    while (v >= 1000 && i < units.length - 1) {
      v /= 1000;
      i++;
    }
    return (
      (n < 0 ? '-' : '') + (i === 0 ? String(Math.round(v)) : trim(v, v >= 100 ? 0 : 1)) + ' ' + units[i]
    );
  }

  /** Seconds → "850 µs", "12 ms", "1.2 s", "3.5 min", "2.1 h". */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '–';
    const s = Math.abs(seconds);
    if (s === 0) return '0 s';
    if (s < 1e-3) return trim(seconds * 1e6, 0) + ' µs';
    if (s < 1) return trim(seconds * 1e3, s < 0.01 ? 1 : 0) + ' ms';
    if (s < 60) return trim(seconds, 1) + ' s';
    if (s < 3600) return trim(seconds / 60, 1) + ' min';
    if (s < 86400) return trim(seconds / 3600, 1) + ' h';
    return trim(seconds / 86400, 1) + ' d';
  }

  /** Milliseconds → "1.2 s", "850 ms" (pg_stat_statements reports milliseconds). */
  function millis(ms) {
    return ms === null || ms === undefined ? '–' : duration(ms / 1000);
  }

  /** How long ago `thenMs` was, relative to `nowMs`: "just now", "12 s ago", "2 min ago", "3 h ago". */
  function ago(thenMs, nowMs) {
    if (thenMs === null || thenMs === undefined) return 'never';
    const s = Math.max(0, Math.round(((nowMs === undefined ? Date.now() : nowMs) - thenMs) / 1000));
    if (s < 2) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ago';
    return Math.floor(s / 86400) + ' d ago';
  }

  /** An ISO timestamp as its UTC date ("2026-12-01"), with the time only when it is not midnight. */
  function date(iso) {
    if (iso === null || iso === undefined) return '–';
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return String(iso);
    const text = d.toISOString();
    return text.slice(11, 19) === '00:00:00'
      ? text.slice(0, 10)
      : text.slice(0, 16).replace('T', ' ') + ' UTC';
  }

  /** A per-second rate: 1234.5 → "1.2 k/s". */
  function rate(n) {
    return n === null || n === undefined ? '–' : count(n) + '/s';
  }

  root.ShannonFormat = {
    count: count,
    bytes: bytes,
    duration: duration,
    millis: millis,
    ago: ago,
    date: date,
    rate: rate,
  };
})(typeof window === 'undefined' ? globalThis : window);
