// pcs analyst review console: a client of the REST API (docs/REST.md).
'use strict';

const state = { pageToken: '0', tokens: ['0'], selected: null, threshold: 0.5,
                chart: null };
const $ = (id) => document.getElementById(id);
const fmt = (v) => (v === null || v === undefined) ? '–' : Number(v).toFixed(3);

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const token = $('token').value.trim();
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = body.error || {};
    throw new Error((e.code || res.status) + ': ' + (e.message || res.statusText));
  }
  return body;
}

function filterQuery() {
  const q = new URLSearchParams();
  const symbol = $('f-symbol').value.trim().toUpperCase();
  if (symbol) q.set('symbol', symbol);
  if ($('f-type').value) q.set('type', $('f-type').value);
  if ($('f-decision').value) q.set('decision', $('f-decision').value);
  if ($('f-disagreement').checked) q.set('disagreement', 'true');
  if ($('f-scored').checked) q.set('scored', 'true');
  if ($('f-from').value) q.set('from', $('f-from').value);
  if ($('f-to').value) q.set('to', $('f-to').value);
  q.set('page_size', '25');
  q.set('page_token', state.pageToken);
  return q;
}

function disagrees(p) {
  if (p.ml_confidence === null) return false;
  return (p.ml_confidence >= state.threshold) !== (p.rule_confidence >= 0.5);
}

async function loadList() {
  const status = $('list-status');
  status.className = '';
  status.textContent = 'loading...';
  try {
    const page = await api('/api/v1/patterns?' + filterQuery());
    state.threshold = page.model_threshold;
    const body = $('patterns').querySelector('tbody');
    body.innerHTML = '';
    for (const p of page.patterns) {
      const tr = document.createElement('tr');
      tr.dataset.id = p.id;
      if (disagrees(p)) tr.classList.add('disagree');
      if (p.id === state.selected) tr.classList.add('selected');
      const outcome = p.exit_reason ? p.exit_reason + (p.outcome_label === 1 ? ' (win)' : '') : 'open';
      const cells = [p.confirmation_date, p.symbol, p.pattern_type, fmt(p.rule_confidence),
                     fmt(p.ml_confidence), fmt(p.blended_confidence), p.lifecycle_state,
                     p.analyst_decision || '', outcome];
      cells.forEach((text, i) => {
        const td = document.createElement('td');
        td.textContent = text;
        if (i === 7 && text) td.className = 'analyst';
        tr.appendChild(td);
      });
      tr.addEventListener('click', () => openPattern(p.id));
      body.appendChild(tr);
    }
    status.textContent = page.total + ' patterns match';
    $('page-info').textContent = 'page ' + state.tokens.length;
    $('next').disabled = !page.next_page_token;
    $('next').dataset.token = page.next_page_token;
    $('prev').disabled = state.tokens.length <= 1;
  } catch (e) {
    status.className = 'error';
    status.textContent = e.message;
  }
}

function renderContributions(score) {
  const box = $('contributions');
  box.innerHTML = '';
  const items = score.top_contributions || [];
  if (!items.length) {
    box.textContent = 'no ML contributions (' + (score.fallback_reason || 'none') + ')';
    return;
  }
  const max = Math.max(...items.map((c) => Math.abs(c.contribution)), 1e-9);
  for (const c of items) {
    const row = document.createElement('div');
    row.className = 'bar-row';
    const name = document.createElement('span');
    name.textContent = c.feature;
    const track = document.createElement('div');
    track.className = 'track';
    const bar = document.createElement('div');
    bar.className = 'bar ' + (c.contribution >= 0 ? 'pos' : 'neg');
    bar.style.width = (50 * Math.abs(c.contribution) / max) + '%';
    track.appendChild(bar);
    const value = document.createElement('span');
    value.textContent = (c.contribution >= 0 ? '+' : '') + c.contribution.toFixed(3);
    row.append(name, track, value);
    box.appendChild(row);
  }
}

function renderPriceChart(data) {
  const box = $('price-chart');
  if (state.chart) { state.chart.remove(); state.chart = null; }
  if (typeof LightweightCharts === 'undefined') {
    box.textContent = 'lightweight-charts did not load';
    return;
  }
  const chart = LightweightCharts.createChart(box, { height: 300,
    layout: { background: { color: '#ffffff' }, textColor: '#333' } });
  const series = chart.addCandlestickSeries();
  series.setData(data.bars.map((b) => ({ time: b.day, open: b.open, high: b.high,
                                         low: b.low, close: b.close })));
  const lines = [['breakout', data.breakout_level, '#6a1b9a'],
                 ['target', data.target_price, '#2e7d32'],
                 ['stop', data.stop_price, '#c62828']];
  for (const [title, price, color] of lines) {
    series.createPriceLine({ price, color, title, lineWidth: 1, lineStyle: 2 });
  }
  const markers = data.key_points.map((k) => ({ time: k.day, position: 'aboveBar',
    color: '#1e88e5', shape: 'circle', text: k.role }));
  markers.push({ time: data.confirmation_date, position: 'belowBar', color: '#ff8f00',
                 shape: 'arrowUp', text: 'breakout' });
  markers.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  series.setMarkers(markers);
  chart.timeScale().fitContent();
  state.chart = chart;
}

function renderHistory(history) {
  const body = $('history').querySelector('tbody');
  body.innerHTML = '';
  for (const h of history) {
    const tr = document.createElement('tr');
    tr.dataset.source = h.source;
    for (const text of [h.id, h.recorded_at, h.source, h.from_state || '', h.to_state,
                        fmt(h.blended_confidence), h.reason || '']) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

async function openPattern(id, keepStatus = false) {
  state.selected = id;
  for (const tr of document.querySelectorAll('#patterns tbody tr')) {
    tr.classList.toggle('selected', tr.dataset.id === id);
  }
  $('detail').hidden = false;
  if (!keepStatus) $('ov-status').textContent = '';
  try {
    const [detail, score, bars] = await Promise.all([
      api('/api/v1/patterns/' + id),
      api('/api/v1/patterns/' + id + '/confidence?top_k=10'),
      api('/api/v1/patterns/' + id + '/bars'),
    ]);
    const p = detail.pattern;
    $('detail-title').textContent = p.symbol + ' ' + p.pattern_type + ' (' + p.direction +
        '), confirmed ' + p.confirmation_date + ' — ' + p.id;
    const decision = detail.snapshots.find((s) => s.kind === 'decision');
    const outcome = detail.snapshots.find((s) => s.kind === 'outcome');
    $('snapshot-decision').src = decision ? decision.url : (p.snapshot_url || '');
    $('outcome-figure').hidden = !outcome;
    if (outcome) $('snapshot-outcome').src = outcome.url;
    $('conf-rule').textContent = fmt(score.rule_confidence);
    $('conf-ml').textContent = score.has_ml_confidence ? fmt(score.ml_confidence)
                                                       : '– (' + score.fallback_reason + ')';
    $('conf-blended').textContent = fmt(score.blended_confidence);
    $('conf-decision').textContent = score.decision + ' (threshold ' + fmt(score.decision_threshold) + ')';
    $('conf-model').textContent = score.model_version || 'rules only';
    $('conf-state').textContent = p.lifecycle_state +
        (p.analyst_decision ? ' — analyst ' + p.analyst_decision + ' by ' + p.analyst_identity +
                              ': ' + p.analyst_reason : '');
    $('conf-outcome').textContent = p.exit_reason
        ? p.exit_reason + ' on ' + p.outcome_resolved_at + ', label ' + p.outcome_label +
          ', pnl ' + fmt(p.realized_pnl)
        : 'not resolved yet';
    renderContributions(score);
    renderPriceChart(bars);
    renderHistory(detail.history);
  } catch (e) {
    $('detail-title').textContent = e.message;
  }
}

async function submitOverride(event) {
  event.preventDefault();
  const status = $('ov-status');
  const chosen = document.querySelector('input[name=decision]:checked');
  if (!state.selected || !chosen) {
    status.className = 'error';
    status.textContent = 'pick confirm or reject';
    return;
  }
  try {
    const r = await api('/api/v1/patterns/' + state.selected + '/override', {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ decision: chosen.value, reason: $('ov-reason').value }) });
    status.className = 'ok';
    status.textContent = 'recorded: ' + r.from_state + ' → ' + r.to_state + ' by ' + r.analyst;
    await openPattern(state.selected, /*keepStatus=*/true);
    await loadList();
    await loadHeader();
  } catch (e) {
    status.className = 'error';
    status.textContent = e.message;
  }
}

async function loadHeader() {
  try {
    const m = await api('/api/v1/model');
    $('model-info').textContent = m.version
        ? 'model ' + m.version + ' (' + m.status + '), threshold ' + fmt(m.decision_threshold) +
          (m.phase5_enabled ? '' : ', ML off')
        : 'no model serving: rule confidence only';
    const mon = await api('/api/v1/monitoring');
    const a = mon.analyst_agreement;
    $('agreement-info').textContent = 'analyst overrides ' + a.overrides +
        ', agree with model ' + (a.model_agreement_rate === null ? '–' : (100 * a.model_agreement_rate).toFixed(0) + '%') +
        ', with rule ' + (a.rule_agreement_rate === null ? '–' : (100 * a.rule_agreement_rate).toFixed(0) + '%');
  } catch (e) {
    $('model-info').textContent = e.message;
  }
}

$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  state.pageToken = '0';
  state.tokens = ['0'];
  loadList();
});
$('next').addEventListener('click', () => {
  state.pageToken = $('next').dataset.token;
  state.tokens.push(state.pageToken);
  loadList();
});
$('prev').addEventListener('click', () => {
  state.tokens.pop();
  state.pageToken = state.tokens[state.tokens.length - 1];
  loadList();
});
$('override').addEventListener('submit', submitOverride);
$('token').value = sessionStorage.getItem('pcs-token') || '';
$('token').addEventListener('change', () => sessionStorage.setItem('pcs-token', $('token').value));
loadHeader();
loadList();
