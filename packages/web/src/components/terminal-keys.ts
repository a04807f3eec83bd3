/**
 * What `<porthole-terminal>` does with a key before xterm.js sees it:
 *
 * - `shell`: xterm.js turns it into bytes for the shell, as usual (Tab, Escape, everything).
 * - `toggle-tab-focus`: Ctrl+M switches "Tab moves focus" on or off; the shell gets nothing.
 * - `move-focus`: Tab or Shift+Tab while "Tab moves focus" is on; xterm.js leaves it alone so
 *   the browser's own sequential focus navigation moves on, shadow roots and all.
 * - `swallow`: the rest of a Ctrl+M press (key repeat, `keypress`, `keyup`); nobody acts on it.
 */
export type TerminalKeyAction = 'shell' | 'toggle-tab-focus' | 'move-focus' | 'swallow';

/** The parts of a `KeyboardEvent` that {@link terminalKeyAction} reads. */
export type TerminalKey = Pick<
  KeyboardEvent,
  'type' | 'key' | 'code' | 'ctrlKey' | 'shiftKey' | 'altKey' | 'metaKey' | 'repeat' | 'isComposing'
>;

/**
 * Decides what a key pressed in the terminal does. Ctrl+M is the toggle because it is the
 * convention for "Tab moves focus" in VS Code (its integrated terminal too, so GitHub
 * Codespaces), Monaco and CodeMirror, and because a terminal loses nothing by it: Ctrl+M is
 * carriage return, the very byte Enter sends. Shift does not matter (VS Code binds
 * Ctrl+Shift+M on macOS, and xterm.js sends CR for it as well).
 *
 * @param key the event xterm.js hands to its custom key handler
 * @param tabMovesFocus whether "Tab moves focus" is on
 * @example
 *   screen.attachCustomKeyEventHandler((event) => terminalKeyAction(event, false) === 'shell');
 */
export function terminalKeyAction(key: TerminalKey, tabMovesFocus: boolean): TerminalKeyAction {
  // An IME owns the keys while it composes (xterm.js's CompositionHelper).
  if (key.isComposing) return 'shell';
  if (isTabFocusToggle(key))
    return key.type === 'keydown' && !key.repeat ? 'toggle-tab-focus' : 'swallow';
  if (tabMovesFocus && key.key === 'Tab' && !key.ctrlKey && !key.altKey && !key.metaKey)
    return 'move-focus';
  return 'shell';
}

function isTabFocusToggle(key: TerminalKey): boolean {
  if (!key.ctrlKey || key.altKey || key.metaKey) return false;
  // The key labelled M: `key` on Latin layouts (AZERTY's M is not at QWERTY's place), the
  // physical key when it types a letter of another script (a Cyrillic layout's Ctrl+ь).
  if (/^[a-z]$/i.test(key.key)) return key.key.toLowerCase() === 'm';
  return /^\p{L}$/u.test(key.key) && key.code === 'KeyM';
}
