// The CSRF token the server put in the page, sent back with every state-changing request.
export function csrfToken() {
  const meta = /** @type {HTMLMetaElement} */ (document.querySelector('meta[name="csrf-token"]'));
  return meta ? meta.content : "";
}

// fetch() with the CSRF header and JSON by default.
/**
 * @param {string} url
 * @param {{ method?: string, body?: unknown, headers?: Record<string, string> }} [options]
 */
export async function apiFetch(url, { method = "GET", body, headers = {} } = {}) {
  /** @type {RequestInit & { headers: Record<string, string> }} */
  const init = { method, headers: { Accept: "application/json", ...headers }, credentials: "same-origin" };
  if (method !== "GET" && method !== "HEAD") init.headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  return fetch(url, init);
}
