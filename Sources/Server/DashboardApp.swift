/// The page Chatwoot shows inside the conversation view (a Dashboard App, docs/chatwoot-protocol.md §13).
///
/// Chatwoot posts the conversation as a JSON string in a `message` event; the page fetches the
/// live summary for it from `/api/conversations/{id}/summary` with the token it was opened with,
/// and links to the audit timeline. Data is put into the page with `textContent` only, never as
/// HTML.
enum DashboardApp {
    static let contentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors *"

    static let html = #"""
    <!doctype html><html lang=en><head><meta charset=utf-8><meta name=viewport content="width=device-width,initial-scale=1">
    <title>Ledgerbot — conversation context</title><style>
    body{font:13px/1.45 system-ui,sans-serif;margin:.8rem;color:#1f2937}h1{font-size:15px;margin:0 0 .5rem}
    dt{font-weight:600;margin-top:.45rem;color:#374151}dd{margin:0}blockquote{margin:.2rem 0;padding-left:.5rem;border-left:3px solid #d1d5db;color:#4b5563}
    #status{color:#6b7280}.cue{color:#b45309}a{color:#1d4ed8}
    </style></head><body>
    <h1>Ledgerbot context</h1>
    <p id=status>Waiting for Chatwoot to send the conversation…</p>
    <dl id=summary hidden>
      <dt>Customer</dt><dd id=customer></dd>
      <dt>Wants</dt><dd id=intents></dd>
      <dt>Collected</dt><dd id=collected></dd>
      <dt>Looked up</dt><dd id=lookups></dd>
      <dt>Hand-off</dt><dd id=handoff></dd>
      <dt>Watch out</dt><dd id=cues></dd>
      <dt>Last messages</dt><dd id=messages></dd>
      <dt>Earlier conversations</dt><dd id=history></dd>
      <dt>Suggested next step</dt><dd id=next></dd>
    </dl>
    <p><a id=audit hidden target=_blank rel=noopener>Full audit timeline</a></p>
    <script>
    const token = new URLSearchParams(location.search).get('token') || '';
    const $ = id => document.getElementById(id);
    function text(id, value) { $(id).textContent = value === undefined || value === null || value === '' ? '—' : String(value); }
    function show(summary, conversation, account) {
      const c = summary.customer || {};
      text('customer', [c.name, c.email, c.phone].filter(Boolean).join(' · ') + (c.verified ? ' (verified by the bot)' : ' (not verified)'));
      text('intents', (summary.intents || []).map(i => i.name + (i.confidence != null ? ' (' + Math.round(i.confidence * 100) + '%)' : '')).join(' → '));
      text('collected', Object.entries(summary.collected || {}).map(([k, v]) => k + ': ' + v).join(', '));
      text('lookups', Object.entries(summary.lookups || {}).map(([k, v]) => k + ': ' + (v.found ? Object.entries(v.fields || {}).filter(([, x]) => typeof x !== 'object').map(([f, x]) => f + '=' + x).join(', ') : 'not found')).join('; '));
      text('handoff', summary.handoff_reason ? summary.handoff_reason + (summary.waiting_seconds != null ? ' — waiting ' + Math.round(summary.waiting_seconds / 60) + ' min' : '') : '');
      text('cues', (summary.sentiment_cues || []).join('; '));
      const messages = $('messages'); messages.textContent = '';
      for (const m of (summary.last_customer_messages || []).slice(-3)) { const q = document.createElement('blockquote'); q.textContent = m; messages.appendChild(q); }
      if (!messages.childNodes.length) text('messages', '');
      text('history', (summary.history || []).length ? summary.history.length + ' — last: ' + summary.history[summary.history.length - 1].outcome : 'none');
      text('next', summary.suggested_next_step);
      $('summary').hidden = false;
      const audit = $('audit');
      audit.href = '/conversations/' + encodeURIComponent(conversation) + '?account=' + encodeURIComponent(account) + '&token=' + encodeURIComponent(token);
      audit.hidden = false;
      text('status', 'Conversation ' + conversation + ' · ' + (summary.status || ''));
    }
    async function load(conversation, account) {
      try {
        const response = await fetch('/api/conversations/' + encodeURIComponent(conversation) + '/summary?account=' + encodeURIComponent(account),
                                     { headers: { 'Authorization': 'Bearer ' + token } });
        if (response.status === 404) { text('status', 'Ledgerbot has no record of conversation ' + conversation + ' yet.'); return; }
        if (!response.ok) { text('status', 'Ledgerbot answered ' + response.status + ' (is the token in the dashboard app URL right?)'); return; }
        show(await response.json(), conversation, account);
      } catch (error) { text('status', 'Cannot reach Ledgerbot: ' + error); }
    }
    window.addEventListener('message', event => {
      if (event.source !== window.parent) return; // only Chatwoot, the embedding page, speaks to us
      let payload;
      try { payload = typeof event.data === 'string' ? JSON.parse(event.data) : event.data; } catch { return; }
      if (!payload || payload.event !== 'appContext' || !payload.data || !payload.data.conversation) return;
      const conversation = payload.data.conversation;
      const account = conversation.account_id || (conversation.messages && conversation.messages[0] && conversation.messages[0].account_id) || '';
      load(conversation.id, account);
    });
    if (window.parent !== window) window.parent.postMessage('chatwoot-dashboard-app:fetch-info', '*');
    </script></body></html>
    """#
}
