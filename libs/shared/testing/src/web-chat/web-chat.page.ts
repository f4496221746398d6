// The web chat's single page: plain HTML, CSS and a small script (no build step, no framework), so
// `npm start` can serve it from memory. Every text from the bot or the user is put into the page
// with textContent, never as HTML.

export const WEB_CHAT_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Strongbox sandbox chat</title>
<style>
  * { box-sizing: border-box; }
  body { margin: 0; font: 15px/1.4 system-ui, sans-serif; background: #e6ebee; height: 100vh; display: flex; flex-direction: column; }
  header { background: #517da2; color: #fff; padding: 8px 12px; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
  header label { display: flex; gap: 4px; align-items: center; }
  header input, header select { font: inherit; padding: 2px 4px; }
  header input[type=number] { width: 110px; }
  #log { flex: 1; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 6px; }
  .message { max-width: 70%; padding: 6px 10px; border-radius: 10px; white-space: pre-wrap; word-wrap: break-word; }
  .user { align-self: flex-end; background: #effdde; }
  .bot { align-self: flex-start; background: #fff; }
  .deleted { opacity: .5; text-decoration: line-through; }
  .meta { font-size: 11px; color: #888; margin-top: 2px; }
  .keyboard { display: grid; gap: 4px; margin-top: 6px; }
  .keyboard .row { display: flex; gap: 4px; }
  .keyboard button, .keyboard a { flex: 1; font: inherit; padding: 4px 6px; border: 0; border-radius: 6px; background: #dfe8f0; color: #2a5885; cursor: pointer; text-align: center; text-decoration: none; }
  .keyboard button:hover { background: #cbd9e6; }
  img.photo { max-width: 100%; border-radius: 6px; display: block; }
  form { display: flex; gap: 8px; padding: 8px; background: #fff; }
  form input { flex: 1; font: inherit; padding: 8px; }
  form button { font: inherit; padding: 8px 16px; }
  #toast { position: fixed; top: 60px; left: 50%; transform: translateX(-50%); background: rgba(0,0,0,.75); color: #fff; padding: 8px 14px; border-radius: 8px; display: none; max-width: 80%; }
</style>
</head>
<body>
<header>
  <strong>Strongbox sandbox</strong>
  <label>user id <input id="user" type="number" min="1" value="1"></label>
  <label>name <input id="name" value="Dev" size="8"></label>
  <label>language <select id="language"><option value="en">en</option><option value="ru">ru</option></select></label>
</header>
<div id="log" aria-live="polite"></div>
<div id="toast" role="status"></div>
<form id="composer">
  <input id="text" autocomplete="off" placeholder="Message (e.g. /start)" maxlength="4096">
  <button id="send" type="submit">Send</button>
</form>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  const log = $('log');
  let rendered = '';
  let seenAnswers = new Set();
  let pendingQueries = new Set();

  const user = () => ({ userId: Number($('user').value), firstName: $('name').value || 'Dev', languageCode: $('language').value });

  async function post(path, body) {
    const response = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
    return answer;
  }

  function toast(text) {
    const element = $('toast');
    element.textContent = text;
    element.style.display = 'block';
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { element.style.display = 'none'; }, 3000);
  }

  function keyboardOf(message) {
    const rows = message.keyboard || [];
    if (rows.length === 0) return null;
    const keyboard = document.createElement('div');
    keyboard.className = 'keyboard';
    for (const row of rows) {
      const line = document.createElement('div');
      line.className = 'row';
      for (const button of row) {
        let element;
        if (button.url) {
          element = document.createElement('a');
          element.href = button.url;
          element.target = '_blank';
          element.rel = 'noopener noreferrer';
        } else {
          element = document.createElement('button');
          element.type = 'button';
          element.addEventListener('click', async () => {
            try {
              const pressed = await post('/api/press', { ...user(), messageId: message.messageId, callbackData: button.callbackData });
              pendingQueries.add(pressed.callbackQueryId);
            } catch (error) { toast(String(error.message || error)); }
          });
        }
        element.textContent = button.text;
        element.dataset.callbackData = button.callbackData || '';
        line.appendChild(element);
      }
      keyboard.appendChild(line);
    }
    return keyboard;
  }

  function render(messages) {
    const key = JSON.stringify(messages);
    if (key === rendered) return;
    rendered = key;
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.replaceChildren();
    for (const message of messages) {
      const bubble = document.createElement('div');
      bubble.className = 'message ' + message.from + (message.deleted ? ' deleted' : '');
      bubble.dataset.messageId = String(message.messageId);
      if (message.photo) {
        const image = document.createElement('img');
        image.className = 'photo';
        image.alt = 'photo ' + message.photo.width + '×' + message.photo.height;
        image.src = message.photo.src;
        bubble.appendChild(image);
      }
      if (message.text) {
        const text = document.createElement('div');
        text.className = 'text';
        text.textContent = message.text;
        bubble.appendChild(text);
      }
      const keyboard = keyboardOf(message);
      if (keyboard) bubble.appendChild(keyboard);
      const meta = document.createElement('div');
      meta.className = 'meta';
      meta.textContent = new Date(message.date * 1000).toLocaleTimeString() + (message.edited ? ' · edited' : '') + (message.deleted ? ' · deleted' : '');
      bubble.appendChild(meta);
      log.appendChild(bubble);
    }
    if (atBottom) log.scrollTop = log.scrollHeight;
  }

  async function refresh() {
    const userId = Number($('user').value);
    if (!Number.isSafeInteger(userId) || userId < 1) return;
    try {
      const response = await fetch('/api/chat?userId=' + userId);
      if (!response.ok) return;
      const chat = await response.json();
      render(chat.messages);
      for (const answer of chat.answers) {
        if (seenAnswers.has(answer.callbackQueryId) || !pendingQueries.has(answer.callbackQueryId)) continue;
        seenAnswers.add(answer.callbackQueryId);
        pendingQueries.delete(answer.callbackQueryId);
        if (answer.text) toast(answer.text);
      }
    } catch { /* the server restarts with the stack; the next poll retries */ }
  }

  $('composer').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('text').value;
    if (!text.trim()) return;
    try {
      await post('/api/send', { ...user(), text });
      $('text').value = '';
      await refresh();
    } catch (error) { toast(String(error.message || error)); }
  });
  $('user').addEventListener('change', () => { rendered = ''; refresh(); });
  setInterval(refresh, 400);
  refresh();
})();
</script>
</body>
</html>
`;
