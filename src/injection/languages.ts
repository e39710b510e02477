/**
 * The code each kernel language runs to take variables from stdin, or to drop them.
 *
 * The code names the variables only: their values reach the kernel as `input_reply` messages
 * (the way `getpass` reads a password), never as code, so no history, output or `execute_input`
 * broadcast can carry them.
 *
 * The stdin exchange (see `StdinAnswers`), one round trip in the normal case:
 * - while it has no values, the kernel asks with the prompt `<nonce>:*`; it takes an answer
 *   `<nonce>:<flag><payload>` only when the payload is `NAME=HEX,NAME=HEX,…` with exactly the
 *   names it wants, each HEX the lowercase hex of a value's UTF-8 bytes (even length, only
 *   `0-9a-f`, no NUL byte); anything else is dropped and asked for again;
 * - flag `F` (final): the frontend sent nothing before this answer and sends nothing with a
 *   value after it, so the kernel sets the variables and stops;
 * - flag `D` (drain): the frontend sent, or may still send, another answer, so the kernel takes
 *   the values, then asks `<nonce>:` until it is answered exactly `<nonce>:`, dropping anything
 *   else: no answer holding a value is left for a later `input()` or `readline()`;
 * - it gives up (an error naming no value, the values cleared) after `ROUNDS` reads.
 * Hex keeps `=`, `,` and line breaks out of the payload, and hands R the very bytes that were
 * sent, whatever its locale.
 *
 * This lets the frontend answer unasked when an input request got lost (right after a restart
 * the server's stdin channel may reconnect after the kernel already asked), without any risk of
 * a value landing in the wrong variable or being left behind.
 */

/**
 * What a variable name may look like: it goes into code, so nothing that could break out of a
 * string literal (nor the payload's `=` and `,`).
 */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What a nonce may look like (it goes into code too).
 */
const NONCE = /^[A-Za-z0-9]+$/;

/**
 * How many answers the kernel reads at most: one in the normal case, three after an unasked
 * answer that crossed the kernel's request (the values, the crossed answer, the end).
 */
const ROUNDS = 8;

/**
 * Whether a variable name is safe to put into code.
 */
export function isValidVariableName(name: string): boolean {
  return VARIABLE_NAME.test(name);
}

/**
 * Code for one kernel language.
 */
export interface ILanguageSnippets {
  /**
   * Code that reads the variables from stdin (see the module notes) and puts them into the
   * environment. It binds no name in the user's namespace, evaluates to nothing visible, and
   * holds no value when it fails.
   */
  set(names: readonly string[], nonce: string): string;
  /** Code that removes the names from the environment (absent names are no error). */
  unset(names: readonly string[]): string;
}

/**
 * Snippets for Python (ipykernel forwards `getpass` to stdin).
 *
 * A helper function is defined and deleted in a `finally`; its own `finally` clears what it read
 * before any error can be shown (a verbose traceback would show its locals). The environment is
 * updated only once every value is decoded: all of them or none.
 */
export const PYTHON: ILanguageSnippets = {
  set: (names, nonce) =>
    [
      'def __portal_token_set(names, nonce):',
      '    import getpass, os',
      "    prefix, values, answer, parts, done = nonce + ':', None, None, None, False",
      '    try:',
      `        for _ in range(${ROUNDS}):`,
      "            answer = getpass.getpass(prefix + ('*' if values is None else ''))",
      '            if values is not None:',
      '                done = answer == prefix',
      "            elif answer[:len(prefix) + 1] in (prefix + 'F', prefix + 'D'):",
      "                parts = [p.partition('=') for p in answer[len(prefix) + 1:].split(',')]",
      '                if sorted(n for n, _, _ in parts) == sorted(names) and all(',
      "                    s and len(h) % 2 == 0 and not h.strip('0123456789abcdef')",
      '                    for _, s, h in parts',
      '                ):',
      '                    try:',
      "                        values = {n: bytes.fromhex(h).decode('utf-8') for n, _, h in parts}",
      '                    except UnicodeDecodeError:',
      '                        pass',
      "                    if values is not None and any('\\0' in v for v in values.values()):",
      '                        values = None',
      "                    done = values is not None and answer[len(prefix)] == 'F'",
      '            if done:',
      '                break',
      '        if not done:',
      "            raise RuntimeError('no answer from the frontend')",
      '        os.environ.update(values)',
      '    finally:',
      '        if values:',
      '            values.clear()',
      '        values = answer = parts = None',
      'try:',
      `    __portal_token_set(${Private.pythonTuple(names)}, ${Private.quote(nonce, "'", NONCE)})`,
      'finally:',
      '    del __portal_token_set'
    ].join('\n'),
  unset: names =>
    "[__import__('os').environ.pop(_n, None) " +
    `for _n in ${Private.pythonTuple(names)}]`
};

/**
 * Snippets for R (IRkernel answers `readline` from stdin).
 *
 * `local()` keeps every name out of the global environment; the result is invisible.
 *
 * `rawToChar` makes text marked as native from the very bytes that were sent, which `Sys.setenv`
 * then passes on unchanged: text marked UTF-8 would be re-encoded for a locale that is not UTF-8
 * (`é` becomes `<U+00E9>` in the C locale of a container without `LANG`). A NUL byte is refused
 * before it, since `rawToChar` would quote the whole value in its error. The payload is split
 * with a comma added, which keeps a trailing empty part that `strsplit` would drop; an empty
 * value is decoded apart, since `substring` refuses no positions at all.
 */
export const R: ILanguageSnippets = {
  set: (names, nonce) =>
    [
      'local({',
      `  wanted <- ${Private.rVector(names)}`,
      `  prefix <- paste0(${Private.quote(nonce, '"', NONCE)}, ":")`,
      '  values <- answer <- parts <- hex <- bytes <- NULL',
      '  done <- FALSE',
      `  for (i in seq_len(${ROUNDS}L)) {`,
      '    answer <- readline(paste0(prefix, if (is.null(values)) "*" else ""))',
      '    if (!is.null(values)) {',
      '      done <- identical(answer, prefix)',
      '    } else if (substring(answer, 1L, nchar(prefix) + 1L) %in% paste0(prefix, c("F", "D"))) {',
      '      parts <- strsplit(paste0(substring(answer, nchar(prefix) + 2L), ","), ",", fixed = TRUE)[[1L]]',
      '      cut <- regexpr("=", parts, fixed = TRUE)',
      '      keys <- substring(parts, 1L, cut - 1L)',
      '      hex <- substring(parts, cut + 1L)',
      '      if (all(cut > 0L) && !anyDuplicated(keys) && setequal(keys, wanted) &&',
      '          all(nchar(hex) %% 2L == 0L) && !any(grepl("[^0123456789abcdef]", hex))) {',
      '        bytes <- lapply(hex, function(h) {',
      '          at <- seq_len(nchar(h) %/% 2L) * 2L',
      '          if (length(at)) as.raw(strtoi(substring(h, at - 1L, at), 16L)) else raw(0L)',
      '        })',
      '        if (!any(vapply(bytes, function(b) any(b == as.raw(0L)), NA))) {',
      '          values <- lapply(bytes, rawToChar)',
      '          names(values) <- keys',
      '          done <- substring(answer, nchar(prefix) + 1L, nchar(prefix) + 1L) == "F"',
      '        }',
      '      }',
      '    }',
      '    if (done) break',
      '  }',
      '  if (!done) {',
      '    values <- answer <- parts <- hex <- bytes <- NULL',
      '    stop("no answer from the frontend", call. = FALSE)',
      '  }',
      '  do.call(Sys.setenv, values)',
      '  invisible(NULL)',
      '})'
    ].join('\n'),
  unset: names => `invisible(Sys.unsetenv(${Private.rVector(names)}))`
};

/**
 * Snippets for Julia (IJulia's `readprompt`, else `readline()`, read from stdin).
 *
 * A `let` block keeps every name local; the trailing `;` suppresses display. `String` of
 * `hex2bytes` makes the very bytes that were sent.
 */
export const JULIA: ILanguageSnippets = {
  set: (names, nonce) =>
    [
      `let wanted = ${Private.juliaTuple(names)}, prefix = ${Private.quote(nonce, '"', NONCE)} * ":",`,
      '    values = nothing, answer = "", done = false',
      '  ask(p) = isdefined(Main, :IJulia) ? Main.IJulia.readprompt(p; password = true) : readline()',
      `  for _ in 1:${ROUNDS}`,
      '    answer = ask(values === nothing ? prefix * "*" : prefix)',
      '    if values !== nothing',
      '      done = answer == prefix',
      '    elseif startswith(answer, prefix * "F") || startswith(answer, prefix * "D")',
      "      parts = [split(p, '='; limit = 2) for p in split(answer[(ncodeunits(prefix) + 2):end], ',')]",
      '      if all(p -> length(p) == 2 && iseven(ncodeunits(p[2])) && all(in("0123456789abcdef"), p[2]), parts) &&',
      '          sort([String(p[1]) for p in parts]) == sort(collect(wanted))',
      '        bytes = [hex2bytes(p[2]) for p in parts]',
      '        if !any(b -> 0x00 in b, bytes)',
      '          values = Dict(String(p[1]) => String(b) for (p, b) in zip(parts, bytes))',
      "          done = answer[ncodeunits(prefix) + 1] == 'F'",
      '        end',
      '      end',
      '    end',
      '    done && break',
      '  end',
      '  if !done',
      '    values = answer = nothing',
      '    error("no answer from the frontend")',
      '  end',
      '  for (name, value) in values',
      '    ENV[name] = value',
      '  end',
      '  values = nothing',
      'end;'
    ].join('\n'),
  unset: names => `for n in ${Private.juliaTuple(names)}; delete!(ENV, n); end;`
};

/**
 * The snippets for a language (`language_info.name` or a kernel spec's `language`), matched
 * without regard to case; `undefined` when there are none.
 */
export function snippetsFor(language: string): ILanguageSnippets | undefined {
  const key = language.trim().toLowerCase();
  // Own keys only: "constructor" or "__proto__" are no language.
  return Object.hasOwn(Private.LANGUAGES, key)
    ? Private.LANGUAGES[key]
    : undefined;
}

/**
 * Answers to a kernel's input requests for one injection (see the module notes).
 *
 * The values answer the code's prompt `<nonce>:*` with `F` when that is the first answer of
 * all, else with `D`; `<nonce>:` is answered `<nonce>:`. After `F` every prompt is answered
 * `<nonce>:`: the kernel is done unless it read something else first, and then `F` is what it
 * reads next, so an answer holding a value would be left over (and with `F` lost, the kernel
 * gives up rather than wait forever).
 *
 * A prompt the code did not make (a kernel whose `readline` shows a prompt of its own) cannot
 * tell what it asks for: the first is answered with the values (`D`), every later one with
 * `<nonce>:`. With an unasked answer in flight the kernel reads one answer behind, so its last
 * prompt's answer is left over: it must hold no value, which answering in turn (values, end,
 * values…) would not ensure.
 */
export class StdinAnswers {
  /**
   * Construct the answers for one injection.
   *
   * The values must be Unicode text (no unpaired surrogate), as the injector ensures.
   */
  constructor(options: StdinAnswers.IOptions) {
    this.nonce = options.nonce;
    for (const name of Object.keys(options.values)) {
      if (!isValidVariableName(name)) {
        throw new Error(`Not a variable name: ${JSON.stringify(name)}`);
      }
    }
    this.#payload = Private.payload(options.values);
  }

  /** The nonce the code was made with. */
  readonly nonce: string;

  /**
   * Whether nothing is left to send unasked: the values went with `F`, or the end was sent.
   */
  get complete(): boolean {
    return this._final || this._ended;
  }

  /** The answer to a prompt (see the class notes). */
  answer(prompt: string): string {
    if (prompt === `${this.nonce}:` || this._final) {
      return this._end();
    }
    if (prompt === `${this.nonce}:*`) {
      return this._values(this._sent ? 'D' : 'F');
    }
    if (this._foreign) {
      return this._end();
    }
    this._foreign = true;
    return this._values('D');
  }

  /**
   * What to send unasked when the kernel seems to wait for an input request that never came:
   * the values (`D`) if nothing was sent yet, the end if the values were; `null` once sent,
   * or when nothing is missing.
   *
   * Once only: each read of the kernel consumes one answer and it stops at the end, so with one
   * answer more than it asked for, the one left over answers its last request, for the end,
   * and holds no value.
   */
  unasked(): string | null {
    if (this._offered || this.complete) {
      return null;
    }
    this._offered = true;
    return this._sent ? this._end() : this._values('D');
  }

  private _end(): string {
    this._ended = true;
    return `${this.nonce}:`;
  }

  private _values(flag: 'F' | 'D'): string {
    this._sent = true;
    this._final = flag === 'F';
    return `${this.nonce}:${flag}${this.#payload}`;
  }

  private _ended = false;
  private _final = false;
  private _foreign = false;
  private _offered = false;
  /** The values, hex-encoded: a true private field (see `PortalTokenModel.#secret`). */
  #payload: string;
  private _sent = false;
}

/**
 * The StdinAnswers namespace.
 */
export namespace StdinAnswers {
  /**
   * Options of StdinAnswers.
   */
  export interface IOptions {
    /** The variables, by name. */
    values: Readonly<Record<string, string>>;
    /** The nonce the code was made with. */
    nonce: string;
  }
}

/**
 * Module internals.
 */
namespace Private {
  export const LANGUAGES: Record<string, ILanguageSnippets> = {
    python: PYTHON,
    python3: PYTHON,
    r: R,
    julia: JULIA
  };

  /**
   * Quote a validated word. Validated words cannot escape the quotes; check again anyway,
   * since this is where a word becomes code.
   */
  export function quote(word: string, mark: string, pattern: RegExp): string {
    if (!pattern.test(word)) {
      throw new Error(`Not allowed in code: ${JSON.stringify(word)}`);
    }
    return `${mark}${word}${mark}`;
  }

  export function pythonTuple(names: readonly string[]): string {
    return `(${names.map(name => quote(name, "'", VARIABLE_NAME) + ',').join(' ')})`;
  }

  export function rVector(names: readonly string[]): string {
    return `c(${names.map(name => quote(name, '"', VARIABLE_NAME)).join(', ')})`;
  }

  export function juliaTuple(names: readonly string[]): string {
    return `(${names.map(name => quote(name, '"', VARIABLE_NAME) + ',').join(' ')})`;
  }

  /** Two lowercase hex digits for each byte. */
  const HEX = Array.from({ length: 256 }, (_, byte) =>
    byte.toString(16).padStart(2, '0')
  );

  /** `NAME=HEX,NAME=HEX,…`, each HEX the lowercase hex of the value's UTF-8 bytes. */
  export function payload(values: Readonly<Record<string, string>>): string {
    const encoder = new TextEncoder();
    return Object.keys(values)
      .map(name => {
        const digits: string[] = [];
        for (const byte of encoder.encode(values[name])) {
          digits.push(HEX[byte]);
        }
        return `${name}=${digits.join('')}`;
      })
      .join(',');
  }
}
