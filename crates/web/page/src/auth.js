// The token form, shown when `/ws` answers AUTH_REQUIRED or AUTH_FAILED. The token goes to
// `POST auth` once; the server answers with an HttpOnly cookie, so the page never keeps it.

export class AuthForm {
  constructor(document, loggedIn) {
    this.form = document.getElementById('auth');
    this.input = document.getElementById('auth-token');
    this.error = document.getElementById('auth-error');
    this.loggedIn = loggedIn;
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.submit();
    });
  }

  show(code) {
    this.error.textContent = code === 'AUTH_FAILED' ? 'the token was refused' : '';
    this.form.hidden = false;
    this.input.focus();
  }

  async submit() {
    this.error.textContent = '';
    let response;
    try {
      response = await fetch('auth', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ token: this.input.value }),
      });
    } catch (error) {
      this.error.textContent = `cannot reach the server: ${error.message}`;
      return;
    }
    if (response.ok) {
      this.input.value = '';
      this.form.hidden = true;
      this.loggedIn();
      return;
    }
    // Errors are `{"error": {"code", "message"}}` (crates/http/src/error.rs).
    const body = await response.json().catch(() => null);
    const message = body?.error?.message ?? `the server answered ${response.status}`;
    this.error.textContent = response.status === 401 ? 'wrong token' : message;
  }
}
