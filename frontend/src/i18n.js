// The browser's strings, from the same catalogue as the pages (embedded in each page).
let messages = null;

function load() {
  if (messages === null) {
    const node = document.getElementById("parley-messages");
    try {
      messages = node ? JSON.parse(node.textContent) : {};
    } catch {
      messages = {};
    }
  }
  return messages;
}

// Translate `text`, then fill `%(name)s` placeholders from `params`.
export function _(text, params = {}) {
  const translated = load()[text] || text;
  return translated.replace(/%\((\w+)\)s/g, (match, name) => (name in params ? String(params[name]) : match));
}
