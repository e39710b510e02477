/**
 * The code each kernel language runs to take variables from stdin, or to drop them.
 *
 * The code names the variables only: their values reach the kernel as `input_reply` messages
 * (the way `getpass` reads a password), never as code, so no history, output or `execute_input`
 * broadcast can carry them.
 */

/**
 * What a variable name may look like: it goes into code, so nothing that could break out of a
 * string literal.
 */
export const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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
   * Code that asks stdin once per name, in the order given, and puts each answer into the
   * environment. It binds no name in the user's namespace and evaluates to nothing visible.
   *
   * The prompt of each input request is the variable name where the kernel lets us choose it.
   */
  set(names: readonly string[]): string;
  /** Code that removes the names from the environment (absent names are no error). */
  unset(names: readonly string[]): string;
}

/**
 * Snippets for Python (ipykernel and kernels that forward `getpass` to stdin).
 *
 * Everything is one expression with `__import__`, so no module or loop name is left behind;
 * the dict is built before `os.environ` is touched, so an interrupted prompt sets nothing.
 */
export const PYTHON: ILanguageSnippets = {
  set: names =>
    "__import__('os').environ.update({_n: __import__('getpass').getpass(_n) " +
    `for _n in ${Private.pythonTuple(names)}})`,
  unset: names =>
    "[__import__('os').environ.pop(_n, None) " +
    `for _n in ${Private.pythonTuple(names)}]`
};

/**
 * Snippets for R (IRkernel replaces `readline` with a stdin request).
 *
 * `local()` keeps the loop variable out of the global environment; `invisible()` keeps the
 * result out of any output.
 */
export const R: ILanguageSnippets = {
  set: names =>
    `invisible(local(for (n in ${Private.rVector(names)}) ` +
    'do.call(Sys.setenv, structure(list(readline(n)), names = n))))',
  unset: names => `invisible(Sys.unsetenv(${Private.rVector(names)}))`
};

/**
 * Snippets for Julia (IJulia answers `readline()` from stdin).
 *
 * A top-level `for` loop keeps its variable local and evaluates to `nothing`; the trailing `;`
 * suppresses display in any case.
 */
export const JULIA: ILanguageSnippets = {
  set: names =>
    `for n in ${Private.juliaTuple(names)}; ENV[n] = readline(); end;`,
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
   * Quote a (validated) name. Names match VARIABLE_NAME, so the quotes cannot be escaped from;
   * check again anyway, since this is where a name becomes code.
   */
  function quote(name: string, mark: string): string {
    if (!isValidVariableName(name)) {
      throw new Error(`Invalid variable name: ${JSON.stringify(name)}`);
    }
    return `${mark}${name}${mark}`;
  }

  export function pythonTuple(names: readonly string[]): string {
    return `(${names.map(name => quote(name, "'") + ',').join(' ')})`;
  }

  export function rVector(names: readonly string[]): string {
    return `c(${names.map(name => quote(name, '"')).join(', ')})`;
  }

  export function juliaTuple(names: readonly string[]): string {
    return `(${names.map(name => quote(name, '"') + ',').join(' ')})`;
  }
}
