/**
 * The code each kernel language runs to take variables from stdin, or to drop them.
 *
 * The code names the variables only: their values reach the kernel as `input_reply` messages
 * (the way `getpass` reads a password), never as code, so no history, output or `execute_input`
 * broadcast can carry them.
 *
 * The stdin exchange (see `StdinAnswers`):
 * - the kernel asks with the prompt `<nonce>:<NAME>` for each variable it still misses, and
 *   takes any answer `<nonce>:<NAME>:<value>` for a variable it misses (others are dropped);
 * - once it has them all, it asks `<nonce>:` until it is answered `<nonce>:`, which drains any
 *   answer that came twice, so none is left for a later `input()` or `readline()`;
 * - it gives up (an error naming no value) after a few rounds without progress.
 * This lets the frontend answer again when an input request got lost (right after a restart the
 * server's stdin channel may reconnect after the kernel already asked), without any risk of a
 * value landing in the wrong variable.
 */

/**
 * What a variable name may look like: it goes into code, so nothing that could break out of a
 * string literal.
 */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * What a nonce may look like (it goes into code too).
 */
const NONCE = /^[A-Za-z0-9]+$/;

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
 * A helper function is defined and deleted in a `finally`; it clears what it read before any
 * error can be raised (a verbose traceback would show its locals).
 */
export const PYTHON: ILanguageSnippets = {
  set: (names, nonce) =>
    [
      'def __portal_token_set(names, nonce):',
      '    import getpass, os',
      '    values, answer, rounds = {}, None, 0',
      '    try:',
      "        while len(values) < len(names) or answer != nonce + ':':",
      '            rounds += 1',
      '            if rounds > 4 * len(names) + 4:',
      '                values.clear()',
      "                raise RuntimeError('no answer from the frontend')",
      '            missing = [n for n in names if n not in values]',
      "            answer = getpass.getpass(nonce + ':' + (missing[0] if missing else ''))",
      "            if missing and answer.startswith(nonce + ':'):",
      "                name, sep, value = answer[len(nonce) + 1:].partition(':')",
      '                if sep and name in missing:',
      '                    values[name] = value',
      '        os.environ.update(values)',
      '    finally:',
      '        values.clear()',
      '        answer = value = None',
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
 * The answers arrive as text marked UTF-8, which `Sys.setenv` would re-encode for a locale that
 * is not UTF-8 (`é` becomes `<U+00E9>` in the C locale of a container without `LANG`): marked
 * as native instead, they reach the environment as the very bytes that were sent.
 */
export const R: ILanguageSnippets = {
  set: (names, nonce) =>
    [
      'local({',
      `  wanted <- ${Private.rVector(names)}`,
      `  prefix <- paste0(${Private.quote(nonce, '"', NONCE)}, ":")`,
      '  values <- list()',
      '  answer <- NULL',
      '  rounds <- 0L',
      '  repeat {',
      '    missing <- setdiff(wanted, names(values))',
      '    if (length(missing) == 0L && identical(answer, prefix)) break',
      '    rounds <- rounds + 1L',
      '    if (rounds > 4L * length(wanted) + 4L) {',
      '      values <- answer <- NULL',
      '      stop("no answer from the frontend", call. = FALSE)',
      '    }',
      '    answer <- readline(paste0(prefix, if (length(missing)) missing[[1L]] else ""))',
      '    if (length(missing) && startsWith(answer, prefix)) {',
      '      rest <- substring(answer, nchar(prefix) + 1L)',
      '      cut <- regexpr(":", rest, fixed = TRUE)',
      '      if (cut > 0L && substring(rest, 1L, cut - 1L) %in% missing) {',
      '        values[[substring(rest, 1L, cut - 1L)]] <- substring(rest, cut + 1L)',
      '      }',
      '    }',
      '  }',
      '  values <- lapply(values, function(value) { Encoding(value) <- "unknown"; value })',
      '  do.call(Sys.setenv, values)',
      '  invisible(NULL)',
      '})'
    ].join('\n'),
  unset: names => `invisible(Sys.unsetenv(${Private.rVector(names)}))`
};

/**
 * Snippets for Julia (IJulia's `readprompt`, else `readline()`, read from stdin).
 *
 * A `let` block keeps every name local; the trailing `;` suppresses display.
 */
export const JULIA: ILanguageSnippets = {
  set: (names, nonce) =>
    [
      `let wanted = ${Private.juliaTuple(names)}, prefix = ${Private.quote(nonce, '"', NONCE)} * ":",`,
      '    values = Dict{String,String}(), answer = "", rounds = 0',
      '  ask(p) = isdefined(Main, :IJulia) ? Main.IJulia.readprompt(p; password = true) : readline()',
      '  while length(values) < length(wanted) || answer != prefix',
      '    rounds += 1',
      '    if rounds > 4 * length(wanted) + 4',
      '      empty!(values)',
      '      error("no answer from the frontend")',
      '    end',
      '    missing = [n for n in wanted if !haskey(values, n)]',
      '    answer = ask(prefix * (isempty(missing) ? "" : first(missing)))',
      '    if !isempty(missing) && startswith(answer, prefix)',
      '      rest = answer[(ncodeunits(prefix) + 1):end]',
      "      cut = findfirst(':', rest)",
      '      if cut !== nothing && rest[1:prevind(rest, cut)] in missing',
      '        values[rest[1:prevind(rest, cut)]] = rest[nextind(rest, cut):end]',
      '      end',
      '    end',
      '  end',
      '  for (name, value) in values',
      '    ENV[name] = value',
      '  end',
      '  empty!(values)',
      'end;'
    ].join('\n'),
  unset: names => `for n in ${Private.juliaTuple(names)}; delete!(ENV, n); end;`
};

/**
 * The snippets for a language (`language_info.name` or a kernel spec's `language`), matched
 * without regard to case; `undefined` when there are none.
 */
export function snippetsFor(language: string): ILanguageSnippets | undefined {
  return Private.LANGUAGES[language.trim().toLowerCase()];
}

/**
 * Answers to a kernel's input requests for one injection (see the module notes).
 */
export class StdinAnswers {
  /**
   * @param values - the variables, by name, in the order the code asks for them.
   * @param nonce - the nonce the code was made with.
   */
  constructor(
    private readonly _values: Readonly<Record<string, string>>,
    readonly nonce: string
  ) {
    this._names = Object.keys(_values);
  }

  /** Whether every variable and the end were asked for. */
  get complete(): boolean {
    return this._ended;
  }

  /**
   * The answer to a prompt. A prompt the code did not make (a kernel whose `readline` shows a
   * prompt of its own) is answered in turn: each variable, then the end, and again.
   */
  answer(prompt: string): string {
    const prefix = `${this.nonce}:`;
    if (prompt === prefix) {
      this._ended = true;
      return prefix;
    }
    const name = prompt.startsWith(prefix) ? prompt.slice(prefix.length) : '';
    if (name in this._values) {
      this._asked.add(name);
      return this._valueOf(name);
    }
    const turn = this._turn++ % (this._names.length + 1);
    if (turn === this._names.length) {
      this._ended = true;
      return prefix;
    }
    this._asked.add(this._names[turn]);
    return this._valueOf(this._names[turn]);
  }

  /**
   * What to send unasked when the kernel seems to wait for an input request that never came:
   * the first variable not asked for yet, else the end; `null` after the first time.
   *
   * Once only: each read of the kernel consumes one answer, and it stops at the end, so with
   * one answer more than it was asked for, the one left over is the last, an answer to its
   * request for the end, which holds no value. (Answers it did not need are drained before.)
   */
  unasked(): string | null {
    if (this._offered) {
      return null;
    }
    this._offered = true;
    const name = this._names.find(n => !this._asked.has(n));
    return name === undefined ? `${this.nonce}:` : this._valueOf(name);
  }

  private _valueOf(name: string): string {
    return `${this.nonce}:${name}:${this._values[name]}`;
  }

  private _asked = new Set<string>();
  private _ended = false;
  private _offered = false;
  private _names: string[];
  private _turn = 0;
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
}
