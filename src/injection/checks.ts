import type { TranslationBundle } from '@jupyterlab/translation';
import { isValidVariableName } from './languages';

/**
 * Throw, naming the variable and never its value, when a name is not an identifier or a value
 * cannot be an environment variable's: it holds a NUL character or an unpaired surrogate, or is
 * too long (see `MAX_ASSIGNMENT_BYTES`). A pure function: it touches no kernel.
 */
export function checkVariables(
  variables: Record<string, string>,
  trans: TranslationBundle
): void {
  const names = Object.keys(variables);
  for (const name of names) {
    if (!isValidVariableName(name)) {
      throw new Error(
        trans.__(
          '"%1" cannot be an environment variable name: use letters, digits and underscores, not starting with a digit',
          name
        )
      );
    }
    const value = variables[name];
    if (typeof value !== 'string') {
      throw new Error(trans.__('The value of %1 is not a string', name));
    }
    if (value.includes('\0')) {
      throw new Error(
        trans.__(
          'The value of %1 holds a NUL character, which no environment variable can hold; it was not injected',
          name
        )
      );
    }
    if (LONE_SURROGATE.test(value)) {
      throw new Error(
        trans.__(
          'The value of %1 holds an unpaired surrogate (half of a character), which is not text and cannot reach a kernel; it was not injected',
          name
        )
      );
    }
    const room = MAX_ASSIGNMENT_BYTES - name.length - 1;
    const bytes = utf8Length(value);
    if (bytes > room) {
      throw new Error(
        trans.__(
          'The value of %1 is too long for an environment variable (%2 bytes, at most %3); it was not injected',
          name,
          bytes,
          room
        )
      );
    }
  }
}

/**
 * The longest `NAME=value`, in UTF-8 bytes, that every platform holds and passes on to the
 * programs a kernel starts: Windows' limit (in UTF-16 units, never more than UTF-8 bytes).
 * On Linux a variable over 128 KiB is held, but every program the kernel starts then fails
 * with "Argument list too long" (`pip`, `!ls`, `system()`): refusing it is clearer.
 */
export const MAX_ASSIGNMENT_BYTES = 32767;

/**
 * Half of a surrogate pair alone: a JS string may hold one, UTF-8 cannot, so it cannot be
 * sent verbatim (Python refuses it, R would store something else).
 */
export const LONE_SURROGATE =
  /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The length of a string without lone surrogates in UTF-8. */
export function utf8Length(value: string): number {
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const unit = value.charCodeAt(i);
    // A surrogate pair, 4 bytes, is two units of 2.
    bytes +=
      unit < 0x80
        ? 1
        : unit < 0x800 || (unit >= 0xd800 && unit < 0xe000)
          ? 2
          : 3;
  }
  return bytes;
}
