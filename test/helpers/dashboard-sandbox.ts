/**
 * The dashboard's browser scripts run in a vm context with a small stand-in for the DOM (only what
 * the scripts use: elements by id, tables, text, attributes, classes, events), so unit and
 * integration tests can drive the page's own code without a browser.
 */
import { readFileSync } from 'node:fs';
import { createContext, runInContext } from 'node:vm';
import { DASHBOARD_ASSETS, DASHBOARD_PAGE } from '../../src/server/dashboard/dashboard-assets.js';

export class FakeElement {
  readonly children: FakeElement[] = [];
  readonly attributes = new Map<string, string>();
  readonly listeners = new Map<string, ((event: unknown) => void)[]>();
  className = '';
  title = '';
  hidden = false;
  value = '';
  private ownText = '';
  readonly classList = {
    toggle: (name: string, on: boolean) => {
      const names = new Set(this.className.split(/\s+/).filter((n) => n !== ''));
      if (on) names.add(name);
      else names.delete(name);
      this.className = [...names].join(' ');
    },
    contains: (name: string) => this.className.split(/\s+/).includes(name),
  };

  constructor(
    readonly tagName: string,
    readonly id = '',
  ) {}

  get textContent(): string {
    return this.ownText + this.children.map((c) => c.textContent).join('');
  }
  set textContent(text: string) {
    this.ownText = String(text);
    this.children.length = 0;
  }
  get clientWidth(): number {
    return 400;
  }
  appendChild(child: FakeElement): FakeElement {
    this.children.push(child);
    return child;
  }
  insertRow(): FakeElement {
    return this.appendChild(new FakeElement('tr'));
  }
  insertCell(): FakeElement {
    return this.appendChild(new FakeElement('td'));
  }
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  getAttribute(name: string): string | null {
    return this.attributes.get(name) ?? null;
  }
  addEventListener(type: string, fn: (event: unknown) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  /** Descendants (and self) matching a tag name, `.class` or `[attribute]`. */
  all(selector: string): FakeElement[] {
    const match = (e: FakeElement) =>
      selector.startsWith('.')
        ? e.classList.contains(selector.slice(1))
        : selector.startsWith('[')
          ? e.attributes.has(selector.slice(1, -1))
          : e.tagName === selector;
    const out: FakeElement[] = [];
    const walk = (e: FakeElement) => {
      if (match(e)) out.push(e);
      for (const c of e.children) walk(c);
    };
    walk(this);
    return out;
  }
  querySelector(selector: string): FakeElement | null {
    return this.all(selector)[0] ?? null;
  }
  /** Rows of a table as cell texts. */
  rows(): string[][] {
    return this.all('tr').map((tr) => tr.children.map((td) => td.textContent));
  }
}

export interface Sandbox {
  context: Record<string, unknown>;
  element(id: string): FakeElement;
  requests: { url: string; authorization?: string }[];
}

/** The ids the page's HTML declares, with the `data-panel` sections around their tables. */
function pageElements(): Map<string, FakeElement> {
  const html = readFileSync(DASHBOARD_PAGE.path, 'utf8');
  const elements = new Map<string, FakeElement>();
  const body = new FakeElement('body');
  let section: FakeElement | undefined;
  for (const m of html.matchAll(/<(\/?)(\w+)([^>]*)>/g)) {
    const [, closing, tag, attrs] = m as unknown as [string, string, string, string];
    if (closing === '/' && tag === 'section') section = undefined;
    if (closing === '/') continue;
    const id = /\bid="([^"]+)"/.exec(attrs)?.[1];
    const panel = /\bdata-panel="([^"]+)"/.exec(attrs)?.[1];
    const el = new FakeElement(tag, id);
    if (/\bhidden\b/.test(attrs)) el.hidden = true;
    if (panel !== undefined) {
      el.setAttribute('data-panel', panel);
      body.appendChild(el);
      section = el;
    }
    if (tag === 'span' && /class="updated"/.test(attrs)) el.className = 'updated';
    if (section !== undefined && el !== section) section.appendChild(el);
    if (id !== undefined) elements.set(id, el);
  }
  elements.set('__body', body);
  return elements;
}

/**
 * Loads the named scripts (`dashboard-format.js`, …) into one context. `fetch` is the given
 * function (default: never answers); timers never fire.
 */
export function loadDashboard(
  scripts: string[],
  options: {
    storedKey?: string | null;
    fetch?: (url: string, init?: { headers?: Record<string, string> }) => Promise<unknown>;
  } = {},
): Sandbox {
  const elements = pageElements();
  const body = elements.get('__body')!;
  const requests: Sandbox['requests'] = [];
  let stored = options.storedKey ?? null;
  const element = (id: string) => {
    let el = elements.get(id);
    if (el === undefined) {
      el = new FakeElement('div', id);
      elements.set(id, el);
    }
    return el;
  };
  const context: Record<string, unknown> = {
    document: {
      getElementById: element,
      createElement: (tag: string) => new FakeElement(tag),
      querySelectorAll: (selector: string) => body.all(selector),
    },
    sessionStorage: {
      getItem: () => stored,
      setItem: (_k: string, v: string) => {
        stored = v;
      },
      removeItem: () => {
        stored = null;
      },
    },
    fetch: (url: string, init?: { headers?: Record<string, string> }) => {
      const authorization = init?.headers?.['authorization'];
      requests.push({ url, ...(authorization === undefined ? {} : { authorization }) });
      return options.fetch === undefined ? new Promise(() => undefined) : options.fetch(url, init);
    },
    setInterval: () => 0,
    clearInterval: () => undefined,
    addEventListener: () => undefined,
  };
  context['window'] = context;
  createContext(context);
  for (const name of scripts) {
    const asset = DASHBOARD_ASSETS[name];
    if (asset === undefined) throw new Error(`no dashboard asset ${name}`);
    runInContext(readFileSync(asset.path, 'utf8'), context, { filename: name });
  }
  return { context, element, requests };
}
