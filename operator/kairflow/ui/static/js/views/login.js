// Sign-in: `kairflow ui` prints a URL that signs you in; in the cluster, you bring a
// Kubernetes bearer token (or an auth proxy sends your OIDC token for you).
import { html, errorText } from "../lib.js";

export function Login({ problem, mode }) {
  const failed = window.location.hash.includes("failed=1");
  const local = problem && /kairflow ui/.test(problem.message || "");
  if (local) {
    return html`<div class="login"><h1>Kairflow</h1>
      <p>${errorText(problem)}.</p></div>`;
  }
  if (mode === "kubeconfig") {
    return html`<div class="login"><h1>Kairflow</h1>
      <p class="error" role="alert">The API server no longer accepts your kubeconfig's
        credentials (${problem.message}). Renew them (log in to your cluster again), then
        reload this page.</p></div>`;
  }
  // Back where the user was after signing in (the form posts to /login, which redirects).
  const next = failed ? "" : window.location.hash;
  return html`<div class="login"><h1>Kairflow</h1>
    <form method="post" action="/login">
      ${mode === "token" && html`<p class="error" role="alert">Your session ended: the API
        server no longer accepts your token. Sign in again.</p>`}
      <label>Kubernetes bearer token
        <textarea name="token" rows="4" required autocomplete="off"
          placeholder="kubectl create token NAME, or your OIDC id-token"></textarea></label>
      <input type="hidden" name="next" value=${next} />
      ${failed && html`<p class="error">The API server did not accept that token.</p>`}
      <button type="submit" class="primary">Sign in</button>
      <p class="hint">Every read and write is made with this token: Kubernetes RBAC decides
        what you can see and do. It is kept in an encrypted, HttpOnly cookie.</p>
    </form></div>`;
}
