// The dashboard page. Without a stored key it sends nothing and shows the key form: each request
// without a valid key would count as a failed authentication against this address. With a key
// (sessionStorage, this tab only) it polls the live figures every 5 s and the database's heavier
// reports every minute; a 401 or 403 forgets the key and returns to the form with the reason.
// Every value is written with textContent (query texts and table names are never HTML).
((root) => {
  const F = root.ShannonFormat;
  const KEY = 'shannonDashboardKey';
  const FAST_MS = 5000;
  const SLOW_MS = 60000;
  /** A panel is stale when its last successful read is older than this many of its intervals. */
  const STALE_INTERVALS = 3;
  const $ = (id) => document.getElementById(id);
  let timers = [];
  let panels = {};
  let charts = null;

  function storedKey() {
    return root.sessionStorage.getItem(KEY) || '';
  }

  function get(path) {
    return root
      .fetch(path, { headers: { authorization: 'Bearer ' + storedKey() }, cache: 'no-store' })
      .then((r) =>
        r
          .json()
          .catch(() => ({}))
          .then((body) => {
            if (r.ok) return body;
            const code = body?.error ? body.error.code : String(r.status);
            const err = new Error(code + (body?.error?.message ? ': ' + body.error.message : ''));
            err.status = r.status;
            err.auth = r.status === 401 || r.status === 403;
            throw err;
          }),
      );
  }

  const P = root.ShannonPanels;

  // ---- polling and staleness ------------------------------------------------------------------
  function poll(name, path, intervalMs, render) {
    panels[name] = { okAt: null, error: null, intervalMs: intervalMs, startedAt: Date.now() };
    function once() {
      return get(path)
        .then((body) => {
          render(body);
          panels[name].okAt = Date.now();
          panels[name].error = null;
        })
        .catch((err) => {
          if (err.auth) return signOut('The key was refused (' + err.message + ').');
          panels[name].error = err.message;
        })
        .then(showFreshness);
    }
    once();
    timers.push(root.setInterval(once, intervalMs));
  }

  function showFreshness() {
    const now = Date.now();
    const sections = document.querySelectorAll('[data-panel]');
    for (let i = 0; i < sections.length; i++) {
      const p = panels[sections[i].getAttribute('data-panel')];
      if (!p) continue;
      const since = p.okAt === null ? p.startedAt : p.okAt;
      const stale = p.error !== null || now - since > STALE_INTERVALS * p.intervalMs;
      sections[i].classList.toggle('stale', stale);
      const label = sections[i].querySelector('.updated');
      let text = p.okAt === null ? (p.error ? 'not loaded' : 'loading…') : 'updated ' + F.ago(p.okAt, now);
      if (stale && p.okAt !== null) text = 'stale: ' + text;
      label.textContent = text + (p.error ? ' — ' + p.error : '');
    }
  }

  function stopPolling() {
    timers.forEach((t) => {
      root.clearInterval(t);
    });
    timers = [];
    panels = {};
  }

  function startOperator() {
    $('who').textContent = 'platform operator';
    $('operator').hidden = false;
    if (charts === null) charts = root.ShannonCharts.createCharts($('charts'));
    root.shannonDashboard = { charts: charts.charts };
    poll('series', '/v1/admin/dashboard/series', FAST_MS, charts.update);
    poll('overview', '/v1/admin/overview', FAST_MS, P.overview);
    poll('collections', '/v1/admin/dashboard/collections', FAST_MS * 3, P.collections);
    poll('doctor', '/v1/admin/doctor', SLOW_MS, P.doctor);
    poll('slow', '/v1/admin/dashboard/slow-queries', SLOW_MS, P.slow);
    poll('advice', '/v1/admin/indexes/advice', SLOW_MS, P.advice);
    poll('partitions', '/v1/admin/partitions', SLOW_MS, P.partitions);
    poll('tables', '/v1/admin/tables', SLOW_MS, P.tables);
  }

  function startTenant() {
    $('tenant').hidden = false;
    poll('tenant', '/v1/admin/tenant', SLOW_MS, P.tenant);
  }

  function pollReadiness() {
    function once() {
      root
        .fetch('/readyz', { cache: 'no-store' })
        .then((r) => {
          $('ready').textContent = r.ok ? 'ready' : 'not ready';
          $('ready').className = r.ok ? 'ok' : 'bad';
        })
        .catch(() => {
          $('ready').textContent = 'service unreachable';
          $('ready').className = 'bad';
        });
    }
    once();
    timers.push(root.setInterval(once, FAST_MS));
  }

  // ---- key handling ---------------------------------------------------------------------------
  function showForm(error) {
    stopPolling();
    $('operator').hidden = true;
    $('tenant').hidden = true;
    $('forget').hidden = true;
    $('who').textContent = '';
    $('key-form').hidden = false;
    $('key-error').textContent = error || '';
  }

  function signOut(error) {
    root.sessionStorage.removeItem(KEY);
    showForm(error);
  }

  /** Decides which view the stored key opens: the operator's, else a tenant administrator's. */
  function open() {
    if (!storedKey()) return showForm('');
    $('key-form').hidden = true;
    $('forget').hidden = false;
    get('/v1/admin/dashboard/series').then(
      () => {
        startOperator();
        pollReadiness();
        timers.push(root.setInterval(showFreshness, 1000));
      },
      (err) => {
        if (err.status !== 403)
          return err.auth ? signOut('The key was refused (' + err.message + ').') : showForm(err.message);
        return get('/v1/admin/tenant').then(
          () => {
            startTenant();
            pollReadiness();
            timers.push(root.setInterval(showFreshness, 1000));
          },
          (e) => {
            signOut('This key has neither the operator nor the admin scope (' + e.message + ').');
          },
        );
      },
    );
  }

  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const key = $('key').value.trim();
    $('key').value = '';
    if (!key) return showForm('Enter a key.');
    root.sessionStorage.setItem(KEY, key);
    open();
  });
  $('forget').addEventListener('click', () => {
    signOut('');
  });
  open();
})(window);
