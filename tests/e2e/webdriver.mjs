// A minimal W3C WebDriver client for tauri-driver, on Node's global fetch (Node 20+).
// No dependency: only what the end-to-end tests need.
import { writeFile } from 'node:fs/promises';

export const DRIVER_URL = process.env.TAURI_DRIVER_URL ?? 'http://127.0.0.1:4444';

/** The key under which W3C WebDriver returns element references. */
const ELEMENT_KEY = 'element-6066-11e4-a52e-4f735466cecf';

export class WebDriverError extends Error {
  constructor(message, { status, error } = {}) {
    super(message);
    this.name = 'WebDriverError';
    this.status = status;
    this.error = error;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function request(method, url, body) {
  let response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (cause) {
    throw new WebDriverError(`cannot reach the WebDriver server at ${url} (${cause?.cause?.code ?? cause.message}); is tauri-driver running?`);
  }
  const text = await response.text();
  let payload;
  try {
    payload = text ? JSON.parse(text) : {};
  } catch {
    throw new WebDriverError(`${method} ${url}: HTTP ${response.status}, not JSON: ${text.slice(0, 300)}`);
  }
  const value = payload.value;
  if (!response.ok || (value && typeof value === 'object' && 'error' in value && value.error)) {
    const error = value?.error ?? `HTTP ${response.status}`;
    const message = value?.message ?? text.slice(0, 300);
    throw new WebDriverError(`${method} ${url}: ${error}: ${message}`, { status: response.status, error });
  }
  return value;
}

/** An element found in the page; `css` is kept for error messages. */
export class Element {
  constructor(session, id, css) {
    this.session = session;
    this.id = id;
    this.css = css;
  }

  get ref() {
    return { [ELEMENT_KEY]: this.id };
  }

  #path(suffix = '') {
    return `/element/${encodeURIComponent(this.id)}${suffix}`;
  }

  async find(css) {
    const value = await this.session.cmd('POST', this.#path('/element'), { using: 'css selector', value: css });
    return new Element(this.session, value[ELEMENT_KEY], `${this.css} ${css}`);
  }

  async findAll(css) {
    const values = await this.session.cmd('POST', this.#path('/elements'), { using: 'css selector', value: css });
    return values.map((v) => new Element(this.session, v[ELEMENT_KEY], `${this.css} ${css}`));
  }

  click() {
    return this.session.cmd('POST', this.#path('/click'), {});
  }

  clear() {
    return this.session.cmd('POST', this.#path('/clear'), {});
  }

  sendKeys(value) {
    return this.session.cmd('POST', this.#path('/value'), { text: String(value) });
  }

  text() {
    return this.session.cmd('GET', this.#path('/text'));
  }

  attribute(name) {
    return this.session.cmd('GET', this.#path(`/attribute/${encodeURIComponent(name)}`));
  }

  property(name) {
    return this.session.cmd('GET', this.#path(`/property/${encodeURIComponent(name)}`));
  }

  /** The live value of an input, select or textarea. */
  value() {
    return this.property('value');
  }
}

export class Session {
  constructor(id, driverUrl) {
    this.id = id;
    this.base = `${driverUrl}/session/${encodeURIComponent(id)}`;
  }

  cmd(method, path, body) {
    return request(method, `${this.base}${path}`, body);
  }

  async find(css) {
    const value = await this.cmd('POST', '/element', { using: 'css selector', value: css });
    return new Element(this, value[ELEMENT_KEY], css);
  }

  async findAll(css) {
    const values = await this.cmd('POST', '/elements', { using: 'css selector', value: css });
    return values.map((v) => new Element(this, v[ELEMENT_KEY], css));
  }

  /** Runs `script` (a function body; `arguments` holds `args`) in the page. */
  execute(script, args = []) {
    const wire = args.map((a) => (a instanceof Element ? a.ref : a));
    return this.cmd('POST', '/execute/sync', { script, args: wire });
  }

  /**
   * Polls `predicate` until it returns a truthy value (returned) or `timeout` ms pass.
   * Errors thrown by the predicate (element not there yet…) count as "not yet".
   */
  async waitFor(predicate, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
    const deadline = Date.now() + timeout;
    let lastError;
    for (;;) {
      try {
        const result = await predicate();
        if (result) return result;
      } catch (error) {
        lastError = error;
      }
      if (Date.now() > deadline) {
        const detail = lastError ? ` (last error: ${lastError.message})` : '';
        throw new Error(`timed out after ${timeout} ms waiting for ${message}${detail}`);
      }
      await sleep(interval);
    }
  }

  /** Waits for an element matching `css` and returns it. */
  waitForElement(css, options = {}) {
    return this.waitFor(() => this.find(css), { message: `element ${css}`, ...options });
  }

  /** Sets an input's value as a user would, firing `input` then `change` (date and time inputs). */
  setValue(element, value) {
    return this.execute(
      `const [el, value] = arguments;
       el.focus();
       const proto = Object.getPrototypeOf(el);
       const setter = Object.getOwnPropertyDescriptor(proto, 'value').set;
       setter.call(el, value);
       el.dispatchEvent(new Event('input', { bubbles: true }));
       el.dispatchEvent(new Event('change', { bubbles: true }));
       return el.value;`,
      [element, value],
    );
  }

  /** Chooses the option with `value` in a <select>, by clicking it like a user. */
  async select(selectElement, value) {
    const option = await selectElement.find(`option[value="${value}"]`);
    await option.click();
    if ((await selectElement.value()) !== value) {
      // Some WebKitGTK versions do not select on an option click: fall back to the DOM.
      await this.setValue(selectElement, value);
    }
    return selectElement.value();
  }

  async screenshot(file) {
    const base64 = await this.cmd('GET', '/screenshot');
    await writeFile(file, Buffer.from(base64, 'base64'));
    return file;
  }

  url() {
    return this.cmd('GET', '/url');
  }

  async delete() {
    await request('DELETE', this.base);
  }
}

/** Starts the app at `appPath` through tauri-driver and returns the session. */
export async function newSession(appPath, { driverUrl = DRIVER_URL, args = [] } = {}) {
  const value = await request('POST', `${driverUrl}/session`, {
    capabilities: {
      alwaysMatch: {
        browserName: 'wry',
        'tauri:options': { application: appPath, args },
      },
    },
  });
  return new Session(value.sessionId, driverUrl);
}

/** Waits until tauri-driver answers its status endpoint. */
export async function waitForDriver({ driverUrl = DRIVER_URL, timeout = 15_000 } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    try {
      const response = await fetch(`${driverUrl}/status`);
      if (response.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new WebDriverError(`no WebDriver server at ${driverUrl} after ${timeout} ms; is tauri-driver running?`);
    await sleep(200);
  }
}
