import {describe, expect, it} from 'vitest';

import {terminalKeyAction} from '../../src/components/terminal-keys.js';
import type {TerminalKey} from '../../src/components/terminal-keys.js';

/** A keydown with no modifier, overridden by `init`. */
function key(init: Partial<TerminalKey>): TerminalKey {
  return {
    type: 'keydown',
    key: '',
    code: '',
    ctrlKey: false,
    shiftKey: false,
    altKey: false,
    metaKey: false,
    repeat: false,
    isComposing: false,
    ...init,
  };
}

const tab = key({key: 'Tab', code: 'Tab'});
const shiftTab = key({key: 'Tab', code: 'Tab', shiftKey: true});
const ctrlM = key({key: 'm', code: 'KeyM', ctrlKey: true});

describe('terminalKeyAction', () => {
  it('gives Tab, Shift+Tab and Escape to the shell while "Tab moves focus" is off', () => {
    expect(terminalKeyAction(tab, false)).toBe('shell');
    expect(terminalKeyAction(shiftTab, false)).toBe('shell');
    expect(terminalKeyAction(key({key: 'Escape', code: 'Escape'}), false)).toBe('shell');
    expect(terminalKeyAction(key({key: 'Escape', code: 'Escape'}), true)).toBe('shell');
  });

  it('lets Tab and Shift+Tab move focus while "Tab moves focus" is on', () => {
    expect(terminalKeyAction(tab, true)).toBe('move-focus');
    expect(terminalKeyAction(shiftTab, true)).toBe('move-focus');
  });

  it('leaves Ctrl+Tab and Alt+Tab alone (the browser and the desktop own them)', () => {
    expect(terminalKeyAction(key({key: 'Tab', ctrlKey: true}), true)).toBe('shell');
    expect(terminalKeyAction(key({key: 'Tab', altKey: true}), true)).toBe('shell');
  });

  it('toggles on the keydown of Ctrl+M and Ctrl+Shift+M, either way', () => {
    expect(terminalKeyAction(ctrlM, false)).toBe('toggle-tab-focus');
    expect(terminalKeyAction(ctrlM, true)).toBe('toggle-tab-focus');
    expect(
      terminalKeyAction(key({key: 'M', code: 'KeyM', ctrlKey: true, shiftKey: true}), false),
    ).toBe('toggle-tab-focus');
  });

  it('swallows the rest of a Ctrl+M press so the shell never gets a carriage return from it', () => {
    expect(terminalKeyAction({...ctrlM, repeat: true}, false)).toBe('swallow');
    expect(terminalKeyAction({...ctrlM, type: 'keypress'}, false)).toBe('swallow');
    expect(terminalKeyAction({...ctrlM, type: 'keyup'}, false)).toBe('swallow');
  });

  it('finds the M key by its label on Latin layouts and by its place on others', () => {
    // AZERTY: the M key sits where QWERTY has the semicolon.
    expect(terminalKeyAction(key({key: 'm', code: 'Semicolon', ctrlKey: true}), false)).toBe(
      'toggle-tab-focus',
    );
    // AZERTY's comma sits at QWERTY's M: Ctrl+, is not the toggle.
    expect(terminalKeyAction(key({key: ',', code: 'KeyM', ctrlKey: true}), false)).toBe('shell');
    expect(terminalKeyAction(key({key: 'ь', code: 'KeyM', ctrlKey: true}), false)).toBe(
      'toggle-tab-focus',
    );
  });

  it('gives the shell M, Ctrl+Alt+M, Meta+Ctrl+M and other Ctrl keys', () => {
    expect(terminalKeyAction(key({key: 'm', code: 'KeyM'}), false)).toBe('shell');
    expect(terminalKeyAction({...ctrlM, altKey: true}, false)).toBe('shell');
    expect(terminalKeyAction({...ctrlM, metaKey: true}, false)).toBe('shell');
    expect(terminalKeyAction(key({key: 'c', code: 'KeyC', ctrlKey: true}), true)).toBe('shell');
  });

  it('gives every key to an IME while it composes', () => {
    expect(terminalKeyAction({...ctrlM, isComposing: true}, false)).toBe('shell');
    expect(terminalKeyAction({...tab, isComposing: true}, true)).toBe('shell');
  });
});
