// The status bar under the terminal: the connection's state, and notices that fade.

const NOTICE_SHOWN_MS = 5_000;

export class StatusBar {
  constructor(statusElement, noticeElement) {
    this.statusElement = statusElement;
    this.noticeElement = noticeElement;
    this.countdown = null;
    this.noticeTimer = null;
  }

  // `state` is connected | connecting | reconnecting | unavailable | auth (styled by app.css).
  show(state, text) {
    clearInterval(this.countdown);
    this.statusElement.dataset.state = state;
    this.statusElement.textContent = text;
  }

  // "reconnecting in N s", counting down to `at` (a Date.now() time).
  retryingAt(at, why) {
    const tick = () => {
      const seconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
      this.statusElement.textContent = `${why}; reconnecting in ${seconds} s`;
    };
    this.show('reconnecting', '');
    tick();
    this.countdown = setInterval(tick, 1000);
  }

  notice(message) {
    clearTimeout(this.noticeTimer);
    this.noticeElement.textContent = message;
    this.noticeTimer = setTimeout(() => { this.noticeElement.textContent = ''; }, NOTICE_SHOWN_MS);
  }
}
