"""The app's one page: the controls on the left, the base case or the current answer on the
right (lead numbers, key prices with their base values, the report's charts with each one's
change against the base case, the report's market and welfare sections), drawn and redrawn by
a small script with ``Plotly.react``. plotly.js is served by the app itself (``/assets``):
no CDN, no network beyond loopback.
"""

from __future__ import annotations

import json
from html import escape

from oreflow.app.figures import SLOTS
from oreflow.report.common.html import CSS

APP_CSS = """
body{display:flex;align-items:flex-start}
#controls{width:330px;min-width:330px;height:100vh;overflow-y:auto;position:sticky;top:0;background:#eaf2f8;
padding:10px 14px;box-sizing:border-box;font-size:.88em}
#controls fieldset{border:1px solid #aed6f1;margin:0 0 8px;padding:4px 8px 8px;background:white}
#controls legend{font-weight:bold;color:#1b4f72}
#controls label{display:block;margin:3px 0}#controls select,#controls input[type=text]{max-width:180px}
#controls input[type=range]{width:170px;vertical-align:middle}#controls input.num{width:80px}
main{flex:1;max-width:none;margin:0}
#error{display:none;background:#fdedec;border-left:4px solid #c0392b;padding:8px 16px;margin:8px 0}
#error h2{border-top:none;margin-top:.3em;padding-top:0}
#status{color:#7f8c8d;font-size:.9em}.delta{color:#6c3483;margin:.1em 0 .5em;font-size:.95em}
#changes li{margin:2px 0}#changes button{font-size:.8em;margin-left:6px}
#changes li[data-applied=false]{color:#888;font-style:italic}
td.up{color:#c0392b}td.down{color:#1e8449}textarea{width:100%;font-family:monospace;font-size:.85em}
"""

SCRIPT = r"""
(function () {
  var SESSION = document.body.getAttribute('data-session');
  var busy = 0;
  function api(path, body) {
    busy += 1; document.body.setAttribute('data-busy', String(busy));
    var init = {method: body === undefined ? 'GET' : 'POST', headers: {'X-Oreflow-Session': SESSION}};
    if (body !== undefined) { init.body = JSON.stringify(body); init.headers['Content-Type'] = 'application/json'; }
    return fetch(path, init).then(function (r) { return r.json(); }).finally(function () {
      busy -= 1; document.body.setAttribute('data-busy', String(busy));
    });
  }
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function fmt(v, digits) {
    if (v === null || v === undefined || isNaN(v)) { return '—'; }
    return Number(v).toLocaleString('en-US', {maximumFractionDigits: digits || 0, minimumFractionDigits: digits || 0});
  }
  var seq = 0;
  function show(response, mine) {
    if (mine !== undefined && mine !== seq) { return; }  // an older answer arriving late
    var err = document.getElementById('error');
    if (response.ok === false && response.error) {
      err.style.display = 'block';
      err.querySelector('h2').textContent = response.error.heading;
      var list = err.querySelector('ul'); list.innerHTML = '';
      response.error.lines.forEach(function (l) { list.appendChild(el('li', {}, l)); });
      err.querySelector('p').textContent = response.error.hint || 'The last good answer stays below.';
    } else { err.style.display = 'none'; }
    if (response.detail) {
      err.style.display = 'block'; err.querySelector('h2').textContent = response.detail;
      err.querySelector('ul').innerHTML = '';
    }
    if (response.view) { draw(response.view); }
    if (response.changes) { listChanges(response); }
    var t = response.timings || {};
    document.getElementById('status').textContent = t.total_ms !== undefined
      ? 'answered in ' + fmt(t.total_ms, 1) + ' ms on the server'
        + (t.solve_ms !== undefined ? ' (re-solve ' + fmt(t.solve_ms, 1) + ' ms)' : '')
      : '';
    document.body.setAttribute('data-state', response.ok === false ? 'error' : 'ok');
    document.body.setAttribute('data-lp', t.lp || '');  // how the answer's LP was found
    document.body.setAttribute('data-seq', String(seq));
  }
  function sankeyProduct() {  // a product's Sankey, drawn when asked for (the view carries all products)
    var product = document.getElementById('sankey-product').value;
    if (!product) { return; }
    api('/api/sankey', {product: product}).then(function (r) {
      if (!r.ok || !r.figure) { return; }
      var slot = document.getElementById('slot-sankey'), div = document.getElementById('plot-sankey');
      slot.querySelector('.caption').textContent = r.caption;
      Plotly.react(div, r.figure.data, r.figure.layout, {displaylogo: false, responsive: true}).then(function () {
        div.setAttribute('data-product', r.product);
      });
    });
  }
  function draw(view) {
    document.getElementById('lead').textContent = view.lead;
    var body = document.querySelector('#prices tbody'), fragile = 0; body.innerHTML = '';
    view.prices.forEach(function (p) {
      var tr = el('tr'), change = (p.price_usd_per_t - p.base_price_usd_per_t) / p.base_price_usd_per_t;
      tr.appendChild(el('td', {}, p.product)); tr.appendChild(el('td', {}, p.market));
      var now = el('td', {'class': 'n', id: 'price-' + p.product + '-' + p.market,
                          'data-value': String(p.price_usd_per_t), 'data-fragile': String(p.fragile)},
                   fmt(p.price_usd_per_t / 1000, 2) + (p.fragile ? ' (' + view.fragile_word + ')' : ''));
      if (p.note) { now.setAttribute('title', p.note); }
      if (p.fragile) { fragile += 1; }
      tr.appendChild(now);
      tr.appendChild(el('td', {'class': 'n'}, fmt(p.base_price_usd_per_t / 1000, 2)));
      var c = el('td', {'class': 'n ' + (change > 1e-6 ? 'up' : change < -1e-6 ? 'down' : '')},
                 isFinite(change) ? (change >= 0 ? '+' : '') + (100 * change).toFixed(1) + ' %' : '—');
      tr.appendChild(c);
      tr.appendChild(el('td', {'class': 'n'}, fmt(p.quantity_t, 0)));
      tr.appendChild(el('td', {'class': 'n'}, fmt(p.base_quantity_t, 0)));
      body.appendChild(tr);
    });
    document.getElementById('fragile-note').textContent = fragile ? view.fragile_meaning : '';
    view.charts.forEach(function (c) {
      var slot = document.getElementById('slot-' + c.name), div = document.getElementById('plot-' + c.name);
      slot.querySelector('h2').textContent = c.title || slot.getAttribute('data-title');
      slot.querySelector('.caption').textContent = c.caption;
      slot.querySelector('.delta').textContent = c.delta;
      slot.captions = c.captions || {};
      if (c.figure) {
        div.style.display = 'block';
        Plotly.react(div, c.figure.data, c.figure.layout, {displaylogo: false, responsive: true}).then(function () {
          div.setAttribute('data-rendered', 'true');
        });
        if (!div.hasListener && div.on) {
          div.on('plotly_buttonclicked', function (event) {
            var text = slot.captions[event.button.label];
            if (text) { slot.querySelector('.caption').textContent = text; }
          });
          div.hasListener = true;
        }
      } else { Plotly.purge(div); div.style.display = 'none'; div.removeAttribute('data-rendered'); }
    });
    document.getElementById('market-html').innerHTML = view.market_html + view.welfare_html;
    if (document.getElementById('plot-sankey')) {  // a plan has no Sankey
      document.getElementById('plot-sankey').setAttribute('data-product', '');
      sankeyProduct();  // keep the product shown, redrawn for the new answer
    }
  }
  function listChanges(response) {
    var list = document.getElementById('changes'); list.innerHTML = '';
    if (response.scenario) { list.appendChild(el('li', {}, 'scenario ' + response.scenario + ' of the job')); }
    response.controls.forEach(function (c) {
      var li = el('li', {'data-applied': String(c.applied)}, c.text + (c.applied ? '' : ' (not applied)')),
          b = el('button', {type: 'button', 'data-id': c.id}, 'remove');
      b.addEventListener('click', function () { send('/api/remove', {id: c.id}); });
      li.appendChild(b); list.appendChild(li);
    });
    if (!response.scenario && !response.controls.length) { list.appendChild(el('li', {}, 'none: the base case')); }
    document.getElementById('change-lines').textContent = response.changes.join('\n');
  }
  function send(path, body) {
    seq += 1; var mine = seq; document.body.setAttribute('data-pending', String(seq));
    return api(path, body).then(function (r) { show(r, mine); return r; });
  }
  function controls(options) {
    var box = document.getElementById('control-list');
    options.kinds.forEach(function (k) {
      var fs = el('fieldset', {id: 'control-' + k.name}); fs.appendChild(el('legend', {}, k.label));
      k.keys.forEach(function (key) {
        var label = el('label', {}, key.replace('_', ' ') + ' '), input;
        if (key === 'years') { input = el('input', {type: 'text', 'data-key': key, value: '5', 'class': 'num'}); }
        else {
          input = el('select', {'data-key': key});
          if ((key === 'product' && k.name !== 'demand_growth') || key === 'market') {
            input.appendChild(el('option', {value: ''}, '(all)'));
          }
          options.choices[key].forEach(function (v) { input.appendChild(el('option', {value: v}, v)); });
        }
        label.appendChild(input); fs.appendChild(label);
      });
      function payload(value) {
        var data = {kind: k.name, value: value};
        fs.querySelectorAll('[data-key]').forEach(function (i) { data[i.getAttribute('data-key')] = i.value; });
        return data;
      }
      // a control that may add a policy row, about to be moved (its keys chosen, its slider or
      // button pressed): the server gets its LP ready, so that the change itself re-solves in
      // place; nothing is shown. Key choices wait 150 ms for the last one (arrow keys in a menu).
      var waiting = null;
      function prepare(value) { if (k.adds_rows) { api('/api/prepare', payload(value)); } }
      fs.querySelectorAll('select[data-key]').forEach(function (i) {
        i.addEventListener('change', function () {
          if (waiting !== null) { clearTimeout(waiting); }
          waiting = setTimeout(function () {
            waiting = null; var range = fs.querySelector('input.value'); prepare(range ? range.value : 1);
          }, 150);
        });
      });
      if (k.action) {  // on or off: a button
        var b = el('button', {type: 'button', 'class': 'apply'}, k.action);
        b.addEventListener('pointerdown', function () { prepare(1); });
        b.addEventListener('click', function () { send('/api/control', payload(1)); });
        fs.appendChild(b);
      } else {
        var label = el('label', {}, k.value + ' '),
            range = el('input', {type: 'range', min: k.low, max: k.high, step: k.step, value: k.default,
                                 'class': 'value'}),
            num = el('input', {type: 'text', value: k.default, 'class': 'num'});
        range.addEventListener('pointerdown', function () { prepare(range.value); });
        range.addEventListener('input', function () { num.value = range.value; });
        range.addEventListener('change', function () {
          num.value = range.value; send('/api/control', payload(range.value));
        });
        num.addEventListener('change', function () {
          range.value = num.value; send('/api/control', payload(num.value));
        });
        label.appendChild(el('br')); label.appendChild(range); label.appendChild(num); fs.appendChild(label);
        var initial = (options.initial || {})[k.name];
        if (initial) {  // a level (a refiner's capacity): start at the dataset's value of the chosen key
          var keyed = fs.querySelector('[data-key]');
          var sync = function () {
            var v = initial[keyed.value];
            if (v !== undefined) { range.value = v; num.value = v; }
          };
          keyed.addEventListener('change', sync); sync();
        }
      }
      box.appendChild(fs);
    });
    var select = document.getElementById('scenario-name');
    options.scenarios.forEach(function (s) { select.appendChild(el('option', {value: s}, s)); });
    var sankey = document.getElementById('sankey-product') || el('select');  // a plan has none
    (options.choices.product || []).forEach(function (p) { sankey.appendChild(el('option', {value: p}, p)); });
    sankey.addEventListener('change', function () {
      if (sankey.value) { sankeyProduct(); } else { api('/api/state').then(function (r) { show(r); }); }
    });
  }
  document.getElementById('reset').addEventListener('click', function () { send('/api/reset', {}); });
  document.getElementById('load').addEventListener('click', function () {
    send('/api/load', {name: document.getElementById('scenario-name').value});
  });
  document.getElementById('save-toml').addEventListener('click', function () {
    api('/api/scenario', {name: document.getElementById('save-name').value}).then(function (r) {
      document.getElementById('scenario-toml').value = r.toml || '';
      document.getElementById('save-message').textContent =
        r.ok ? 'Paste this into a job file.' : r.error.lines.join('; ');
    });
  });
  document.getElementById('save-job').addEventListener('click', function () {
    api('/api/save-job', {name: document.getElementById('save-name').value,
                          folder: document.getElementById('save-folder').value})
      .then(function (r) {
        document.getElementById('save-message').textContent = r.ok ? 'Written: ' + r.path : r.error.lines.join('; ');
      });
  });
  ['tables', 'report'].forEach(function (name) {
    var a = document.getElementById('download-' + name);
    a.href = a.getAttribute('href') + '?session=' + encodeURIComponent(SESSION);
  });
  api('/api/options').then(function (options) {
    controls(options);
    return api('/api/state');
  }).then(function (r) { show(r); document.body.setAttribute('data-ready', 'true'); });
})();
"""


def render(session_id: str, job_name: str, dataset: str, slots: tuple[str, ...] = SLOTS) -> str:
    """The page of one session (its id in ``data-session``: each page load is its own session)
    with a section per chart slot (``slots``: a plan's are the plan report's)."""
    sections = "".join(
        f'<section id="slot-{name}" data-title="{escape(name)}"><h2>{escape(name)}</h2><p class="caption"></p>'
        f'<p class="delta"></p>'
        + (
            '<label>show <select id="sankey-product"><option value="">all products</option></select></label>'
            if name == "sankey"
            else ""
        )
        + f'<div id="plot-{name}"></div></section>'
        for name in slots
    )
    controls = (
        "<nav id=controls><h2 style='border:none;margin-top:.2em'>What if…</h2>"
        "<div id=control-list></div>"
        "<fieldset><legend>Changes</legend><ul id=changes></ul>"
        "<button type=button id=reset>back to the base case</button></fieldset>"
        "<fieldset><legend>Scenarios</legend><label>load a scenario of the job "
        "<select id=scenario-name></select></label><button type=button id=load>load</button>"
        "<label>save the changes as <input type=text id=save-name value=my_scenario></label>"
        "<button type=button id=save-toml>show [[scenarios]] TOML</button>"
        "<label>or write a job file into the folder (absolute path, outside the dataset) "
        "<input type=text id=save-folder placeholder=/home/me/jobs></label>"
        "<button type=button id=save-job>write job file</button><p id=save-message></p>"
        "<textarea id=scenario-toml rows=6 readonly></textarea></fieldset>"
        "<fieldset><legend>Download</legend><a id=download-tables href=/api/tables.zip>tables (CSV, zip)</a> · "
        "<a id=download-report href=/api/report.html>report.html</a></fieldset></nav>"
    )
    main = (
        f"<main><h1>oreflow: what if… ({escape(job_name)})</h1>"
        f"<p class=note>Dataset {escape(dataset)}; every change re-solves the model in place on this machine. "
        "Nothing is written into the dataset.</p>"
        "<p class=lead id=lead></p><p id=status></p>"
        "<div id=error><h2></h2><ul></ul><p class=note></p></div>"
        "<section id=key-prices><h2>Prices by market and product (USD/kg) against the base case</h2>"
        "<table id=prices><thead><tr><th>product</th><th>market</th><th>price</th><th>base</th><th>change</th>"
        "<th>quantity, t</th><th>base, t</th></tr></thead><tbody></tbody></table>"
        "<p class=note id=fragile-note></p></section>"
        + sections
        + "<div id=market-html></div><pre id=change-lines class=note></pre></main>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>oreflow serve: {escape(job_name)}</title><style>{CSS}{APP_CSS}</style>"
        '<script src="/assets/plotly.min.js"></script></head>\n'
        f"<body data-session={json.dumps(session_id)}>{controls}{main}<script>{SCRIPT}</script></body></html>\n"
    )
