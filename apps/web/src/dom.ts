import { explainError } from './explain';

type Child = Node | string | false | null | undefined;
type Props = Record<string, string | number | boolean | EventListener | undefined>;

/**
 * An element with attributes, `on<event>` listeners and children: `h('button', {type: 'submit',
 * onclick: go}, 'Send')`. Strings become text nodes, so nothing is ever parsed as HTML.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  el.append(...children.filter((c): c is Node | string => c !== false && c != null));
  return el;
}

/** `12:04` today, `3 Dec 12:04` on another day, in the reader's locale. */
export function formatTime(iso: string): string {
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  if (at.toDateString() === new Date().toDateString()) return time;
  return `${at.toLocaleDateString([], { day: 'numeric', month: 'short' })} ${time}`;
}

/** Runs a form action with its button disabled; a refusal is explained by `fail`. */
export async function busy(
  button: HTMLButtonElement,
  action: () => Promise<void>,
  fail: (message: string) => void,
): Promise<void> {
  button.disabled = true;
  try {
    await action();
  } catch (err) {
    fail(explainError(err));
  } finally {
    button.disabled = false;
  }
}
