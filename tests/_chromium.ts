/**
 * A small headless-Chromium driver for tests, with no dependencies.
 *
 * It launches Debian's `/usr/bin/chromium` (install it with
 * `deno task test`) and speaks the Chrome DevTools Protocol (CDP)
 * over Deno's built-in `WebSocket` client.
 *
 * It needs only `--allow-run` (for `chromium`, `mktemp` and `rm`),
 * `--allow-read` and `--allow-net=127.0.0.1`: the temporary profile directory
 * is created and removed by child processes, so no `--allow-write` is needed.
 *
 * Every step is bounded by a timeout, and every failure path kills the
 * browser, closes the DevTools socket, drains Chromium's stderr and removes
 * the profile directory, so tests pass Deno's resource and op sanitizers.
 *
 * @example
 * ```ts ignore
 * await using browser = await launchChromium();
 * await using page = await browser.newPage("http://127.0.0.1:8000/");
 * await page.waitFor("document.title === 'ready'");
 * const answer = await page.evaluate<number>("6 * 7");
 * const png = await page.screenshot();
 * ```
 *
 * @module
 */

/** Path of the Chromium launcher installed by Debian's `chromium` package. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Maximum time for Chromium to start and open its DevTools socket. */
export const LAUNCH_TIMEOUT_MS = 30_000;

/** Maximum time for one DevTools command (and for a page load). */
export const COMMAND_TIMEOUT_MS = 15_000;

/** Default timeout of {@linkcode Page.waitFor}. */
export const WAIT_FOR_TIMEOUT_MS = 10_000;

/** How long {@linkcode Browser.close} waits for a graceful exit before SIGKILL. */
const GRACEFUL_EXIT_MS = 5_000;

/** How many trailing stderr lines to keep for error messages. */
const STDERR_TAIL_LINES = 40;

/** Options for {@linkcode launchChromium}. */
export interface LaunchOptions {
  /** The Chromium executable. Defaults to {@linkcode CHROMIUM_PATH}. */
  executable?: string;
  /** Extra command-line flags, appended after the defaults. */
  extraArgs?: string[];
  /** Launch timeout in milliseconds. Defaults to {@linkcode LAUNCH_TIMEOUT_MS}. */
  launchTimeoutMs?: number;
  /** Per-command timeout in milliseconds. Defaults to {@linkcode COMMAND_TIMEOUT_MS}. */
  commandTimeoutMs?: number;
}

/** A running headless Chromium. Close it with {@linkcode Browser.close} or `await using`. */
export interface Browser extends AsyncDisposable {
  /** Process id of the Chromium browser process. */
  readonly pid: number;
  /** Temporary directory holding the profile; removed by {@linkcode Browser.close}. */
  readonly tempDir: string;
  /** The browser's DevTools WebSocket URL (`ws://127.0.0.1:PORT/devtools/browser/...`). */
  readonly webSocketDebuggerUrl: string;
  /** Chromium's version string, e.g. `HeadlessChrome/156.0.8078.79`. */
  readonly version: string;
  /** The last lines Chromium wrote to stderr (it is noisy; useful when debugging). */
  stderrTail(): string;
  /**
   * Opens a new tab, navigates it to `url` and waits for its `load` event.
   * Throws if the navigation fails (e.g. connection refused) or times out.
   */
  newPage(url: string): Promise<Page>;
  /**
   * Closes the browser: asks it to exit, kills it if it does not, closes the
   * DevTools socket, drains stderr and removes the temporary profile (a
   * directory that cannot be removed is reported with `console.warn`).
   * Idempotent and never throws.
   */
  close(): Promise<void>;
}

/** One tab of a {@linkcode Browser}. */
export interface Page extends AsyncDisposable {
  /** The CDP target id of the tab. */
  readonly targetId: string;
  /** The CDP session id used to talk to the tab. */
  readonly sessionId: string;
  /**
   * Console messages (`"log: text"`) and uncaught exceptions
   * (`"exception: text"`) seen on the page, in order.
   */
  readonly console: readonly string[];
  /**
   * Evaluates a JavaScript expression in the page and returns its value,
   * serialized as JSON (so it must be JSON-compatible; `undefined` is kept).
   * Promises are awaited. A thrown exception rejects with its description.
   */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /**
   * Polls `expression` (about every 50 ms) until it evaluates to a truthy
   * value. Errors while polling (e.g. during a navigation) are retried.
   * Rejects after `timeoutMs` (default {@linkcode WAIT_FOR_TIMEOUT_MS}; a
   * poll still running then may take up to 1 s more) with the last value or
   * error.
   */
  waitFor(expression: string, timeoutMs?: number): Promise<void>;
  /** Captures the visible viewport as PNG bytes. */
  screenshot(): Promise<Uint8Array>;
  /** Closes the tab. Idempotent; never throws. */
  close(): Promise<void>;
}

/** Launches a headless Chromium with a fresh temporary profile. */
export async function launchChromium(options: LaunchOptions = {}): Promise<Browser> {
  const launchTimeoutMs = options.launchTimeoutMs ?? LAUNCH_TIMEOUT_MS;
  const deadline = Date.now() + launchTimeoutMs;
  const tempDir = await makeTempDir();
  let chromium: ChromiumProcess | undefined;
  let connection: CdpConnection | undefined;
  try {
    chromium = new ChromiumProcess(options.executable ?? CHROMIUM_PATH, tempDir, options.extraArgs);
    const url = await withTimeout(
      chromium.webSocketUrl,
      deadline - Date.now(),
      () => `Chromium did not report its DevTools URL within ${launchTimeoutMs} ms`,
    );
    connection = await CdpConnection.open(
      url,
      deadline - Date.now(),
      options.commandTimeoutMs ?? COMMAND_TIMEOUT_MS,
    );
    // The browser dying must fail pending commands instead of letting them time out.
    chromium.exited.then(() => connection?.abort("Chromium exited"));
    const { product } = await connection.send<{ product: string }>(
      "Browser.getVersion",
      {},
      undefined,
      Math.max(1, deadline - Date.now()),
    );
    return new ChromiumBrowser(chromium, connection, tempDir, url, product);
  } catch (error) {
    const tail = chromium?.stderrTail() ?? "";
    const hint = error instanceof Deno.errors.NotFound
      ? " (deno task test installs it as root: apt-get install chromium)"
      : "";
    await shutdown(chromium, connection, tempDir);
    throw new Error(
      `launchChromium failed: ${errorMessage(error)}${hint}${
        tail ? `\n--- chromium stderr ---\n${tail}` : ""
      }`,
      { cause: error },
    );
  }
}

/** Kills the browser, closes the socket, drains stderr and removes `tempDir`. Never throws. */
async function shutdown(
  chromium: ChromiumProcess | undefined,
  connection: CdpConnection | undefined,
  tempDir: string,
): Promise<void> {
  let asked = false;
  if (chromium && connection?.isOpen) {
    // A graceful exit is faster than SIGTERM and lets Chromium stop its helpers.
    asked = await connection.send("Browser.close", {}, undefined, 2_000).then(
      () => true,
      () => false,
    );
  }
  if (!asked) chromium?.signal("SIGTERM");
  await chromium?.stop(GRACEFUL_EXIT_MS).catch(() => {});
  await connection?.close().catch(() => {});
  await removeDir(tempDir).catch((error) => {
    // Do not fail the test over it, but do not hide the leak either.
    console.warn(`chromium driver: ${errorMessage(error)}`);
  });
}

class ChromiumBrowser implements Browser {
  readonly #process: ChromiumProcess;
  readonly #connection: CdpConnection;
  readonly #pages = new Set<ChromiumPage>();
  #closing: Promise<void> | undefined;

  constructor(
    chromium: ChromiumProcess,
    connection: CdpConnection,
    readonly tempDir: string,
    readonly webSocketDebuggerUrl: string,
    readonly version: string,
  ) {
    this.#process = chromium;
    this.#connection = connection;
  }

  get pid(): number {
    return this.#process.pid;
  }

  stderrTail(): string {
    return this.#process.stderrTail();
  }

  async newPage(url: string): Promise<Page> {
    if (this.#closing) throw new Error("the browser is closed");
    const connection = this.#connection;
    const { targetId } = await connection.send<{ targetId: string }>("Target.createTarget", {
      url: "about:blank",
    });
    let page: ChromiumPage | undefined;
    try {
      const { sessionId } = await connection.send<{ sessionId: string }>(
        "Target.attachToTarget",
        { targetId, flatten: true },
      );
      page = new ChromiumPage(connection, targetId, sessionId, () => this.#pages.delete(page!));
      this.#pages.add(page);
      await page.navigate(url);
      return page;
    } catch (error) {
      if (page) await page.close();
      else await connection.send("Target.closeTarget", { targetId }).catch(() => {});
      throw error;
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      for (const page of this.#pages) page.markClosed();
      await shutdown(this.#process, this.#connection, this.tempDir);
    })();
    return this.#closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

class ChromiumPage implements Page {
  readonly #connection: CdpConnection;
  readonly #console: string[] = [];
  readonly #unsubscribe: () => void;
  readonly #onClose: () => void;
  #closed = false;

  constructor(
    connection: CdpConnection,
    readonly targetId: string,
    readonly sessionId: string,
    onClose: () => void,
  ) {
    this.#connection = connection;
    this.#onClose = onClose;
    this.#unsubscribe = connection.onEvent(sessionId, (method, params) => {
      if (method === "Runtime.consoleAPICalled") {
        const { type, args } = params as { type: string; args: RemoteObject[] };
        this.#console.push(`${type}: ${args.map(describeRemoteObject).join(" ")}`);
      } else if (method === "Runtime.exceptionThrown") {
        const { exceptionDetails } = params as { exceptionDetails: ExceptionDetails };
        this.#console.push(`exception: ${describeException(exceptionDetails)}`);
      }
    });
  }

  get console(): readonly string[] {
    return this.#console;
  }

  /**
   * Enables the domains we use, navigates to `url` and waits for the `load`
   * lifecycle event of that very navigation (matched by its loader id, so a
   * late `load` of the initial about:blank cannot be mistaken for it).
   */
  async navigate(url: string): Promise<void> {
    await this.#send("Page.enable");
    await this.#send("Page.setLifecycleEventsEnabled", { enabled: true });
    await this.#send("Runtime.enable");
    let loaderId: string | undefined;
    const seen = new Set<string>();
    const loaded = this.#connection.waitForEvent(
      this.sessionId,
      "Page.lifecycleEvent",
      (params) => {
        const event = params as { name: string; loaderId: string };
        if (event.name !== "load") return false;
        seen.add(event.loaderId);
        return event.loaderId === loaderId;
      },
    );
    try {
      const result = await this.#send<{ loaderId?: string; errorText?: string }>(
        "Page.navigate",
        { url },
      );
      if (result.errorText) throw new Error(`navigation to ${url} failed: ${result.errorText}`);
      // No loader id means a same-document navigation: there is nothing to wait for.
      if (result.loaderId === undefined || seen.has(result.loaderId)) return;
      loaderId = result.loaderId;
      await loaded.promise;
    } finally {
      loaded.cancel();
    }
  }

  evaluate<T = unknown>(expression: string): Promise<T> {
    return this.#evaluate<T>(expression);
  }

  async #evaluate<T>(expression: string, timeoutMs?: number): Promise<T> {
    const { result, exceptionDetails } = await this.#send<{
      result: RemoteObject;
      exceptionDetails?: ExceptionDetails;
    }>("Runtime.evaluate", {
      expression,
      returnByValue: true,
      awaitPromise: true,
      userGesture: true,
    }, timeoutMs);
    if (exceptionDetails) {
      throw new Error(
        `evaluate(${JSON.stringify(expression)}) threw: ${describeException(exceptionDetails)}`,
      );
    }
    return result.value as T;
  }

  async waitFor(expression: string, timeoutMs: number = WAIT_FOR_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no result yet";
    for (;;) {
      if (this.#closed) throw new Error("the page is closed");
      if (!this.#connection.isOpen) throw new Error("the browser connection is closed");
      try {
        // Bound each poll by the time left (but give it at least 1 s, so a slow
        // last poll still reports a value), so a never-settling promise cannot
        // overrun the deadline by more than that.
        const value = await this.#evaluate(expression, Math.max(1_000, deadline - Date.now()));
        if (value) return;
        last = `last value: ${JSON.stringify(value)}`;
      } catch (error) {
        last = `last error: ${errorMessage(error)}`;
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new Error(
          `waitFor(${JSON.stringify(expression)}) timed out after ${timeoutMs} ms (${last})`,
        );
      }
      await delay(Math.min(50, remaining));
    }
  }

  async screenshot(): Promise<Uint8Array> {
    const { data } = await this.#send<{ data: string }>("Page.captureScreenshot", {
      format: "png",
    });
    return decodeBase64(data);
  }

  /** Marks the page closed without talking to the browser (used when the browser closes). */
  markClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    this.#onClose();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.markClosed();
    if (this.#connection.isOpen) {
      await this.#connection.send("Target.closeTarget", { targetId: this.targetId }).catch(
        () => {},
      );
    }
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #send<T = Record<string, never>>(
    method: string,
    params: object = {},
    timeoutMs?: number,
  ): Promise<T> {
    if (this.#closed) return Promise.reject(new Error(`${method}: the page is closed`));
    return this.#connection.send<T>(method, params, this.sessionId, timeoutMs);
  }
}

/** The Chromium child process: spawns it, drains stderr, and stops it. */
class ChromiumProcess {
  readonly #child: Deno.ChildProcess;
  readonly #stderrLines: string[] = [];
  readonly #stderrReader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #stderrDone: Promise<void>;
  readonly #exited: Promise<Deno.CommandStatus>;
  #resolveUrl!: (url: string) => void;
  #rejectUrl!: (error: Error) => void;
  /** Resolves with the DevTools URL once Chromium prints it; rejects if it exits first. */
  readonly webSocketUrl: Promise<string>;

  constructor(executable: string, tempDir: string, extraArgs: string[] = []) {
    this.webSocketUrl = new Promise<string>((resolve, reject) => {
      this.#resolveUrl = resolve;
      this.#rejectUrl = reject;
    });
    // Avoid unhandled rejections when nobody is waiting for the URL any more.
    this.webSocketUrl.catch(() => {});
    this.#child = new Deno.Command(executable, {
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--remote-debugging-port=0",
        `--user-data-dir=${tempDir}/profile`,
        ...extraArgs,
        "about:blank",
      ],
      env: {
        // Keep the crash-report database and caches inside the temp dir,
        // instead of ~/.config/chromium and ~/.cache/chromium.
        XDG_CONFIG_HOME: `${tempDir}/config`,
        XDG_CACHE_HOME: `${tempDir}/cache`,
      },
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    this.#exited = this.#child.status;
    this.#exited.then((status) => {
      this.#rejectUrl(
        new Error(`Chromium exited early (code ${status.code}, signal ${status.signal})`),
      );
    });
    this.#stderrReader = this.#child.stderr.getReader();
    this.#stderrDone = this.#drainStderr();
  }

  get pid(): number {
    return this.#child.pid;
  }

  /** Resolves when the process has exited. */
  get exited(): Promise<Deno.CommandStatus> {
    return this.#exited;
  }

  stderrTail(): string {
    return this.#stderrLines.join("\n");
  }

  /** Sends `signal` to the process, ignoring the error if it already exited. */
  signal(signal: Deno.Signal): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  /**
   * Waits up to `graceMs` for the process to exit, then SIGKILLs it; then
   * waits for stderr to close (cancelling it if helper processes keep it open).
   */
  async stop(graceMs: number): Promise<void> {
    const exitedInTime = await withTimeout(this.#exited, graceMs, () => "").then(
      () => true,
      () => false,
    );
    if (!exitedInTime) {
      this.signal("SIGKILL");
      await this.#exited;
    }
    // Helper processes (zygote, renderers, crash handler) share stderr, so its
    // end means they have exited too and no longer write into the profile.
    const drained = await withTimeout(this.#stderrDone, 5_000, () => "").then(
      () => true,
      () => false,
    );
    if (!drained) {
      await this.#stderrReader.cancel().catch(() => {});
      await this.#stderrDone;
    }
  }

  async #drainStderr(): Promise<void> {
    const decoder = new TextDecoder();
    let partial = "";
    try {
      for (;;) {
        const { done, value } = await this.#stderrReader.read();
        if (done) break;
        const lines = (partial + decoder.decode(value, { stream: true })).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines) this.#onLine(line);
      }
    } catch {
      // Cancelled or broken pipe: nothing more to read.
    }
    if (partial) this.#onLine(partial);
  }

  #onLine(line: string): void {
    const match = /^DevTools listening on (ws:\/\/\S+)/.exec(line.trim());
    if (match?.[1]) this.#resolveUrl(match[1]);
    this.#stderrLines.push(line);
    if (this.#stderrLines.length > STDERR_TAIL_LINES) this.#stderrLines.shift();
  }
}

type EventListener = (method: string, params: unknown) => void;

interface Pending {
  method: string;
  sessionId: string | undefined;
  resolve: (result: unknown) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout>;
}

/** A Chrome DevTools Protocol connection over one browser-level WebSocket. */
class CdpConnection {
  readonly #socket: WebSocket;
  readonly #commandTimeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #listeners = new Map<string, Set<EventListener>>();
  readonly #abortListeners = new Set<(reason: string) => void>();
  readonly #closed: Promise<void>;
  #nextId = 1;
  #abortReason: string | undefined;

  private constructor(socket: WebSocket, commandTimeoutMs: number) {
    this.#socket = socket;
    this.#commandTimeoutMs = commandTimeoutMs;
    this.#closed = new Promise((resolve) => {
      socket.addEventListener("close", () => {
        this.abort("the DevTools socket closed");
        resolve();
      });
    });
    socket.addEventListener("message", (event) => this.#onMessage(event.data));
  }

  /** Connects to `url`, failing after `timeoutMs`. */
  static async open(
    url: string,
    timeoutMs: number,
    commandTimeoutMs: number,
  ): Promise<CdpConnection> {
    const socket = new WebSocket(url);
    const connection = new CdpConnection(socket, commandTimeoutMs);
    const opened = new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error(`cannot connect to ${url}`)), {
        once: true,
      });
      socket.addEventListener("close", () => reject(new Error(`${url} closed`)), { once: true });
    });
    try {
      await withTimeout(opened, timeoutMs, () => `connecting to ${url} timed out`);
      return connection;
    } catch (error) {
      await connection.close();
      throw error;
    }
  }

  get isOpen(): boolean {
    return this.#socket.readyState === WebSocket.OPEN && this.#abortReason === undefined;
  }

  /** Sends a command (to the browser, or to `sessionId`) and resolves with its result. */
  send<T = Record<string, never>>(
    method: string,
    params: object = {},
    sessionId?: string,
    timeoutMs: number = this.#commandTimeoutMs,
  ): Promise<T> {
    if (!this.isOpen) {
      return Promise.reject(
        new Error(`${method}: ${this.#abortReason ?? "the socket is not open"}`),
      );
    }
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${method} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, {
        method,
        sessionId,
        resolve: resolve as (result: unknown) => void,
        reject,
        timer,
      });
      const message: Record<string, unknown> = { id, method, params };
      if (sessionId) message.sessionId = sessionId;
      this.#socket.send(JSON.stringify(message));
    });
  }

  /** Subscribes to all events of `sessionId`; returns the unsubscribe function. */
  onEvent(sessionId: string, listener: EventListener): () => void {
    let listeners = this.#listeners.get(sessionId);
    if (!listeners) this.#listeners.set(sessionId, listeners = new Set());
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0) this.#listeners.delete(sessionId);
    };
  }

  /**
   * Waits for event `method` on `sessionId` for which `accept(params)` is
   * true (bounded by the command timeout). Call `cancel` when no longer
   * interested, so the timer does not leak.
   */
  waitForEvent(
    sessionId: string,
    method: string,
    accept: (params: unknown) => boolean = () => true,
  ): { promise: Promise<unknown>; cancel: () => void } {
    let cancel = () => {};
    const promise = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        cancel();
        reject(new Error(`no ${method} within ${this.#commandTimeoutMs} ms`));
      }, this.#commandTimeoutMs);
      const unsubscribe = this.onEvent(sessionId, (eventMethod, params) => {
        if (eventMethod === method && accept(params)) {
          cancel();
          resolve(params);
        } else if (
          eventMethod === "Inspector.detached" || eventMethod === "Inspector.targetCrashed"
        ) {
          cancel();
          reject(new Error(`waiting for ${method}: ${eventMethod}`));
        }
      });
      const unsubscribeClose = this.#onAbort((reason) => {
        cancel();
        reject(new Error(`waiting for ${method}: ${reason}`));
      });
      cancel = () => {
        clearTimeout(timer);
        unsubscribe();
        unsubscribeClose();
      };
    });
    promise.catch(() => {});
    return { promise, cancel: () => cancel() };
  }

  /** Fails every pending command with `reason`; later sends fail immediately. */
  abort(reason: string): void {
    this.#abortReason ??= reason;
    for (const [id, pending] of this.#pending) {
      clearTimeout(pending.timer);
      this.#pending.delete(id);
      pending.reject(new Error(`${pending.method}: ${reason}`));
    }
    for (const listener of this.#abortListeners) listener(reason);
    this.#abortListeners.clear();
  }

  /** Closes the socket and waits (at most 5 s) for it to be fully closed. */
  async close(): Promise<void> {
    this.abort("the connection was closed");
    if (this.#socket.readyState !== WebSocket.CLOSED) {
      try {
        this.#socket.close();
      } catch {
        // Already closing.
      }
    }
    await withTimeout(this.#closed, 5_000, () => "").catch(() => {});
  }

  #onAbort(listener: (reason: string) => void): () => void {
    if (this.#abortReason !== undefined) {
      const reason = this.#abortReason;
      queueMicrotask(() => listener(reason));
      return () => {};
    }
    this.#abortListeners.add(listener);
    return () => this.#abortListeners.delete(listener);
  }

  #onMessage(data: unknown): void {
    if (typeof data !== "string") return;
    let message: {
      id?: number;
      method?: string;
      params?: unknown;
      result?: unknown;
      error?: { code: number; message: string; data?: string };
      sessionId?: string;
    };
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message.id === "number") {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      clearTimeout(pending.timer);
      if (message.error) {
        const { message: text, data: detail } = message.error;
        pending.reject(new Error(`${pending.method}: ${text}${detail ? ` (${detail})` : ""}`));
      } else {
        pending.resolve(message.result ?? {});
      }
      return;
    }
    if (!message.method) return;
    if (message.method === "Target.detachedFromTarget") {
      // Fail the detached session's commands now rather than at their timeout.
      const { sessionId } = message.params as { sessionId: string };
      for (const [id, pending] of this.#pending) {
        if (pending.sessionId !== sessionId) continue;
        clearTimeout(pending.timer);
        this.#pending.delete(id);
        pending.reject(new Error(`${pending.method}: the target was detached`));
      }
      this.#dispatch(sessionId, "Inspector.detached", message.params);
    }
    this.#dispatch(message.sessionId ?? "", message.method, message.params);
  }

  #dispatch(sessionId: string, method: string, params: unknown): void {
    const listeners = this.#listeners.get(sessionId);
    if (!listeners) return;
    for (const listener of [...listeners]) listener(method, params);
  }
}

/** The subset of CDP's `Runtime.RemoteObject` we read. */
interface RemoteObject {
  type: string;
  value?: unknown;
  unserializableValue?: string;
  description?: string;
}

/** The subset of CDP's `Runtime.ExceptionDetails` we read. */
interface ExceptionDetails {
  text: string;
  exception?: RemoteObject;
}

function describeRemoteObject(object: RemoteObject): string {
  if (object.unserializableValue) return object.unserializableValue;
  if (object.type === "string") return String(object.value);
  if ("value" in object) return JSON.stringify(object.value);
  return object.description ?? object.type;
}

function describeException(details: ExceptionDetails): string {
  return details.exception?.description ?? details.exception?.value?.toString() ?? details.text;
}

/** Creates a temporary directory with `mktemp -d` (no `--allow-write` needed). */
async function makeTempDir(): Promise<string> {
  const output = await new Deno.Command("mktemp", {
    args: ["-d", "-t", "chromium-test.XXXXXXXXXX"],
    stdin: "null",
  }).output();
  const path = new TextDecoder().decode(output.stdout).trim();
  if (!output.success || !path.startsWith("/")) {
    throw new Error(`mktemp -d failed: ${new TextDecoder().decode(output.stderr)}`);
  }
  return path;
}

/**
 * Removes `path` with `rm -rf`. Retries a few times, because Chromium's
 * crash-report helper may still be writing into it right after exiting.
 */
async function removeDir(path: string): Promise<void> {
  if (!path.startsWith("/") || !/\/chromium-test\.[^/]+$/.test(path)) {
    throw new Error(`refusing to remove ${path}`);
  }
  let stderr = "";
  for (let attempt = 0; attempt < 10; attempt++) {
    const output = await new Deno.Command("rm", {
      args: ["-rf", "--", path],
      stdin: "null",
    }).output();
    if (output.success) return;
    stderr = new TextDecoder().decode(output.stderr);
    await delay(200);
  }
  throw new Error(`rm -rf ${path} failed: ${stderr}`);
}

/** Rejects with `message()` if `promise` does not settle within `ms`; always clears its timer. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), Math.max(0, ms));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function decodeBase64(base64: string): Uint8Array {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
