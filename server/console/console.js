// pcs analyst review console: a client of the REST API (docs/REST.md).
'use strict';

const state = { pageToken: '0', tokens: ['0'], selected: null, threshold: 0.5,
                chart: null, chartBars: 0 };
const $ = (id) => document.getElementById(id);
const fmt = (v) => (v === null || v === undefined) ? '–' : Number(v).toFixed(3);

const ORDER_TEXT = {
  confirmed_desc: 'newest confirmation first', confirmed_asc: 'oldest confirmation first',
  blended_desc: 'highest blended confidence first', ml_desc: 'highest ML confidence first',
  scored_desc: 'most recently scored first',
};

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const token = $('token').value.trim();
  if (token) headers['Authorization'] = 'Bearer ' + token;
  const res = await fetch(path, Object.assign({}, options, { headers }));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = body.error || {};
    const error = new Error((e.code || res.status) + ': ' + (e.message || res.statusText));
    error.httpStatus = res.status;
    throw error;
  }
  return body;
}

// The decision the list shows: the stored blended confidence (the rule
// confidence when the model never scored the pattern) against the model's
// threshold, as the server's decision filter computes it.
function decisionOf(p) {
  const c = p.blended_confidence == null ? p.rule_confidence : p.blended_confidence;
  return c >= state.threshold ? 'confirm' : 'reject';
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
  q.set('order', $('f-order').value);
  q.set('page_size', '25');
  q.set('page_token', state.pageToken);
  return q;
}

function disagrees(p) {
  if (p.ml_confidence == null) return false;
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
      const decision = decisionOf(p);
      const cells = [['', p.confirmation_date], ['', p.symbol],
                     ['type', p.pattern_type.replace(/_/g, ' ')],
                     ['rule', fmt(p.rule_confidence)], ['ml', fmt(p.ml_confidence)],
                     ['blended', fmt(p.blended_confidence)], ['decision ' + decision, decision],
                     // An analyst's override shows in the state cell, in bold.
                     [p.analyst_decision ? 'state analyst' : 'state',
                      p.lifecycle_state + (p.analyst_decision ? ' (analyst)' : '')],
                     ['outcome', outcome]];
      for (const [cls, text] of cells) {
        const td = document.createElement('td');
        td.textContent = text;
        if (cls) td.className = cls;
        tr.appendChild(td);
      }
      tr.addEventListener('click', () => openPattern(p.id));
      body.appendChild(tr);
    }
    status.textContent = page.total + ' patterns match, ' +
        (ORDER_TEXT[page.order] || ORDER_TEXT[$('f-order').value]);
    $('page-info').textContent = 'page ' + state.tokens.length;
    $('next').disabled = !page.next_page_token;
    $('next').dataset.token = page.next_page_token;
    $('prev').disabled = state.tokens.length <= 1;
  } catch (e) {
    status.className = 'error';
    status.textContent = e.message;
  }
}

// One list item per top contribution: the server's plain-language reason
// (features/feature_reasons.h); the feature name, value and log-odds in the
// tooltip and in small print.
function renderReasons(score) {
  const list = $('reasons');
  list.innerHTML = '';
  const items = score.top_contributions || [];
  if (!items.length) {
    const li = document.createElement('li');
    li.textContent = 'The model gave no reasons: ' + (score.fallback_reason
        ? 'it was not used (' + score.fallback_reason + '), the rule confidence decided.'
        : 'no contributions.');
    list.appendChild(li);
    return;
  }
  for (const c of items) {
    const li = document.createElement('li');
    const raises = c.contribution >= 0;
    li.className = raises ? 'raises' : 'lowers';
    li.title = c.feature + ' = ' + (c.value === null || c.value === undefined ? 'NaN' : c.value) +
        ', contribution ' + (raises ? '+' : '') + c.contribution.toFixed(3) + ' log-odds';
    const text = c.reason || c.feature + ' ' + (raises ? 'raises' : 'lowers') + ' confidence';
    const cut = text.lastIndexOf('; ');
    li.append(cut > 0 ? text.slice(0, cut + 2) : text);
    if (cut > 0) {
      const effect = document.createElement('span');
      effect.className = raises ? 'effect-raises' : 'effect-lowers';
      effect.textContent = text.slice(cut + 2);
      li.append(effect);
    }
    const feature = document.createElement('span');
    feature.className = 'feature';
    feature.textContent = ' (' + c.feature + ', ' + (raises ? '+' : '') +
        c.contribution.toFixed(2) + ')';
    li.append(feature);
    list.appendChild(li);
  }
}

// The policy in numbers: how the blend and the threshold gave the decision.
function explainDecision(score) {
  const t = score.decision_threshold;
  const b = score.blended_confidence;
  const gap = Math.abs(b - t);
  const side = b >= t ? fmt(gap) + ' above' : fmt(gap) + ' below';
  let text;
  if (score.has_ml_confidence) {
    const w = score.ml_weight_used;
    text = 'Blended confidence = ' + fmt(w) + ' × ML + ' + fmt(1 - w) + ' × rule = ' +
        fmt(w) + ' × ' + fmt(score.ml_confidence) + ' + ' + fmt(1 - w) + ' × ' +
        fmt(score.rule_confidence) + ' = ' + fmt(b) + '. ';
  } else {
    text = 'The model was not used (' + (score.fallback_reason || 'no model') +
        '), so the blended confidence is the rule confidence, ' + fmt(b) + '. ';
  }
  text += 'The threshold is ' + fmt(t) + ': this pattern is ' + side + ' it, so the decision is ' +
      score.decision + '.';
  if (score.has_ml_confidence) {
    const ml = score.ml_confidence >= t ? 'confirm' : 'reject';
    const rule = score.rule_confidence >= 0.5 ? 'confirm' : 'reject';
    text += ' Alone, the model (' + fmt(score.ml_confidence) + ' against ' + fmt(t) +
        ') would ' + ml + ' and the rule (' + fmt(score.rule_confidence) +
        ' against 0.500) would ' + rule + (ml === rule ? '.' : ': they disagree.');
  }
  $('decision-explained').textContent = text;
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
    name.className = 'name';
    name.textContent = c.feature;
    row.title = c.reason || c.feature;
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

// Pixels the level labels ("breakout", "target", "stop") take left of the
// price axis; tests/server/console_browser_test.py checks the room.
const CHART_LABEL_ROOM_PX = 84;

function renderPriceChart(data) {
  const box = $('price-chart');
  if (state.chart) { state.chart.remove(); state.chart = null; }
  if (typeof LightweightCharts === 'undefined') {
    box.textContent = 'lightweight-charts did not load';
    return;
  }
  const chart = LightweightCharts.createChart(box, { height: 320, autoSize: true,
    layout: { background: { color: '#ffffff' }, textColor: '#333', fontSize: 13 } });
  // No last-price label: it printed over the axis ticks and the level
  // labels (27.33 over 28.00); the levels keep theirs.
  const series = chart.addCandlestickSeries({ lastValueVisible: false,
                                              priceLineVisible: false });
  series.setData(data.bars.map((b) => ({ time: b.day, open: b.open, high: b.high,
                                         low: b.low, close: b.close })));
  const lines = [['breakout', data.breakout_level, '#6a1b9a'],
                 ['target', data.target_price, '#2e7d32'],
                 ['stop', data.stop_price, '#c62828']];
  for (const [title, price, color] of lines) {
    series.createPriceLine({ price, color, title, lineWidth: 1, lineStyle: 2 });
  }
  // A peak's label above its bar, a trough's below, so neighbouring key
  // points (a shoulder and the neckline) do not print over each other.
  const byDay = new Map(data.bars.map((b) => [b.day, b]));
  const markers = data.key_points.map((k) => {
    const bar = byDay.get(k.day);
    const high = bar ? k.price >= (bar.high + bar.low) / 2 : true;
    return { time: k.day, position: high ? 'aboveBar' : 'belowBar', color: '#1e88e5',
             shape: 'circle', text: k.role.replace(/_/g, ' ') };
  });
  const bullish = data.target_price >= data.breakout_level;
  // The breakout day's arrow carries no text (it printed over the
  // candles); the caption under the chart names it.
  markers.push({ time: data.confirmation_date, position: bullish ? 'belowBar' : 'aboveBar',
                 color: '#ff8f00', shape: bullish ? 'arrowUp' : 'arrowDown', text: '' });
  markers.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  series.setMarkers(markers);
  // Every bar in view, then empty bars on the right as wide as the level
  // labels the chart draws there ("breakout" left of its price), so that no
  // label covers a candle; again whenever the box changes size (a fixed
  // rightOffset in bars left the labels over the last candles at 1280 px).
  const fit = () => {
    const ts = chart.timeScale();
    const n = data.bars.length;
    const plot = ts.width();
    if (plot <= CHART_LABEL_ROOM_PX) return;
    const empty = Math.ceil((CHART_LABEL_ROOM_PX * n) / (plot - CHART_LABEL_ROOM_PX)) + 1;
    ts.setVisibleLogicalRange({ from: -0.5, to: n - 0.5 + empty });
  };
  fit();
  chart.timeScale().subscribeSizeChange(fit);
  state.chart = chart;
  state.chartBars = data.bars.length;
}

// A cell whose text wraps between words and after each "_" of an
// identifier (descending_<wbr>triangle), never inside a word.
function wrappable(text, cls) {
  const td = document.createElement('td');
  td.className = cls;
  text.split('_').forEach((part, i, parts) => {
    td.append(part + (i + 1 < parts.length ? '_' : ''));
    if (i + 1 < parts.length) td.append(document.createElement('wbr'));
  });
  return td;
}

function renderHistory(history) {
  const body = $('history').querySelector('tbody');
  body.innerHTML = '';
  for (const h of history) {
    const tr = document.createElement('tr');
    tr.dataset.source = h.source;
    // The market date the transition refers to, beside when it was written.
    const recorded = (h.recorded_at || '').replace('T', ' ').replace(/(\.\d+)?(Z|\+00(:00)?)$/, '');
    const change = (h.from_state ? h.from_state + ' → ' : '') + h.to_state;
    for (const text of [h.id, h.event_date || '–', recorded, h.source, change,
                        fmt(h.blended_confidence)]) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.appendChild(td);
    }
    tr.appendChild(wrappable(h.reason || '', 'reason'));
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
      api('/api/v1/patterns/' + id + '/confidence?top_k=10&skip_trace=true'),
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
    renderReasons(score);
    explainDecision(score);
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
  $('token-label').classList.remove('attention');
  if (!state.selected || !chosen) {
    status.className = 'error';
    status.textContent = 'pick confirm or reject';
    return;
  }
  if (!$('token').value.trim()) {
    needToken('An override needs write access: type your write token into the ' +
              '"write token" field at the top right of the page, then press ' +
              '"Record override" again.');
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
    if (e.httpStatus === 401 || e.httpStatus === 403) {
      needToken('The server did not accept the write token (' + e.message + '). Check the ' +
                '"write token" field at the top right: it needs a token with write access.');
      return;
    }
    status.className = 'error';
    status.textContent = e.message;
  }
}

// Says what is missing and points at the token field.
function needToken(message) {
  const status = $('ov-status');
  status.className = 'error';
  status.textContent = message;
  $('token-label').classList.add('attention');
  $('token').focus();
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
    const pct = (r) => (r === null || r === undefined ? 'n/a' : (100 * r).toFixed(0) + '%');
    $('agreement-info').textContent = a.overrides === 0
        ? 'no analyst overrides yet'
        : a.overrides + ' analyst override' + (a.overrides === 1 ? '' : 's') +
          ': the analyst agreed with the model\'s decision in ' + pct(a.model_agreement_rate) +
          ' (of ' + a.scored_by_model + ' the model scored) and with the rule\'s in ' +
          pct(a.rule_agreement_rate);
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
$('token').addEventListener('change', () => {
  sessionStorage.setItem('pcs-token', $('token').value);
  if ($('token').value.trim()) $('token-label').classList.remove('attention');
});
$('f-order').addEventListener('change', () => $('apply').click());
loadHeader();
loadList();
