/**
 * The stdin exchange (see `languages.ts`) against real ipykernel and IRkernel kernels behind a
 * real Jupyter server: one round trip in the normal case, values byte for byte, malformed
 * answers refused, a bounded number of rounds, unasked answers for lost or late input requests,
 * and no value left for a later `input()` or `readline()`.
 *
 * Some tests run the snippets by hand, answering with `StdinAnswers` or with answers made wrong
 * on purpose; others go through the injector, with a kernel made slow to ask (so that the
 * injector answers unasked) or showing a prompt of its own.
 *
 * Cells print a fingerprint or a digest of a variable, never its value.
 */
import type { Kernel } from '@jupyterlab/services';
import { UUID } from '@lumino/coreutils';
import {
  ILanguageSnippets,
  KernelInjector,
  PYTHON,
  R,
  StdinAnswers
} from '../injection';
import {
  digest,
  exchange,
  fingerprint,
  hex,
  IR_SPEC,
  irkernelMissing,
  makeSecret,
  pythonDigests,
  pythonFingerprint,
  rDigests,
  rFingerprint,
  run,
  stdinOf,
  TestServer
} from './injection-server';

const rMissing = irkernelMissing();
if (rMissing) {
  // A visible reason in the output, not a silent pass.
  console.warn(`Skipping the IRkernel stdin exchange tests: ${rMissing}`);
}

/** What a person types into a later `input()` or `readline()`. */
const TYPED = 'typed by the user';

/** The kernel side of one language, for these tests. */
interface ILanguage {
  label: string;
  spec: string;
  skip: boolean;
  snippets: ILanguageSnippets;
  /** Text of the code sent for the names, unique to this language's snippet. */
  marker(names: string[]): string;
  fingerprint(name: string): string;
  digests(pattern: string, count: number): string;
  /** A cell reading a line and printing it. */
  readLine: string;
  /** A cell making each read of the injection code wait a second before it asks. */
  slowAsk: string;
  /** A cell making each read of the injection code show a prompt of the kernel's own. */
  ownPrompt: string;
  /** A cell undoing `slowAsk` or `ownPrompt`. */
  plainAsk: string;
  /**
   * IRkernel answers `ok` to a silent request whose code failed (it drops the error with the
   * output): its failure is seen in a request that is not silent.
   */
  silentErrorsDropped: boolean;
}

const LANGUAGES: ILanguage[] = [
  {
    label: 'ipykernel',
    spec: 'python3',
    skip: false,
    snippets: PYTHON,
    marker: names =>
      `__portal_token_set((${names.map(n => `'${n}',`).join(' ')})`,
    fingerprint: pythonFingerprint,
    digests: pythonDigests,
    readLine: "print(input('type: '))",
    // ipykernel's getpass asks through the kernel's `_input_request`.
    slowAsk:
      'get_ipython().kernel._input_request = (lambda ask: lambda *a, **k: ' +
      "(__import__('time').sleep(1), ask(*a, **k))[1])(get_ipython().kernel._input_request)",
    ownPrompt:
      'get_ipython().kernel._input_request = (lambda ask: lambda prompt, *a, **k: ' +
      "ask('stdin> ', *a, **k))(get_ipython().kernel._input_request)",
    plainAsk: "get_ipython().kernel.__dict__.pop('_input_request', None);",
    silentErrorsDropped: false
  },
  {
    label: 'IRkernel',
    spec: 'ir',
    skip: !!rMissing,
    snippets: R,
    marker: names => `wanted <- c(${names.map(n => `"${n}"`).join(', ')})`,
    fingerprint: rFingerprint,
    digests: rDigests,
    readLine: 'cat(readline("type: "))',
    // The code's `readline` is found in the global environment before IRkernel's in base.
    slowAsk:
      'readline <- function(prompt = "") { Sys.sleep(1); base::readline(prompt) }',
    ownPrompt: 'readline <- function(prompt = "") base::readline("stdin> ")',
    plainAsk: 'suppressWarnings(rm(readline))',
    silentErrorsDropped: true
  }
];

/** A fresh nonce, as the injector makes them. */
function nonce(): string {
  return UUID.uuid4().replace(/-/g, '');
}

describe('the stdin exchange with real kernels', () => {
  const server = new TestServer();
  let injector: KernelInjector;

  beforeAll(async () => {
    await server.start(rMissing ? {} : { ir: IR_SPEC });
    injector = server.injector();
  }, 60000);

  afterAll(() => server.shutdown(), 30000);

  for (const language of LANGUAGES) {
    (language.skip ? describe.skip : describe)(language.label, () => {
      /** The kernel of this language; replaced by tests that leave its stdin unclean. */
      let kernel: Kernel.IKernelConnection;
      /** The injector's sources set by a test, cleared after it. */
      let sources: string[] = [];

      async function freshKernel(): Promise<void> {
        if (kernel) {
          await server.kernelManager.shutdown(kernel.id);
        }
        kernel = await server.kernelManager.startNew({ name: language.spec });
        await kernel.info;
      }

      async function set(
        source: string,
        variables: Record<string, string>
      ): Promise<void> {
        sources.push(source);
        await injector.set(source, variables);
        expect(injector.status(source)).toContainEqual(
          expect.objectContaining({ kernelId: kernel.id, state: 'injected' })
        );
      }

      async function fingerprintOf(name: string): Promise<string> {
        return run(kernel, language.fingerprint(name));
      }

      beforeAll(async () => {
        await freshKernel();
      }, 60000);

      afterEach(async () => {
        await Promise.all(sources.map(source => injector.clear(source)));
        sources = [];
      }, 30000);

      afterAll(async () => {
        await server.kernelManager.shutdown(kernel.id);
      }, 30000);

      it('takes every value from one answer to one input request', async () => {
        const secret = makeSecret();
        await set('one', { PT_ONE_A: secret.value, PT_ONE_B: '' });
        const { requests, replies } = stdinOf(
          server.messages,
          language.marker(['PT_ONE_A', 'PT_ONE_B'])
        );
        expect(requests).toEqual([expect.stringMatching(/^[0-9a-f]{32}:\*$/)]);
        const prefix = requests[0].slice(0, -1);
        expect(replies).toEqual([
          `${prefix}FPT_ONE_A=${hex(secret.value)},PT_ONE_B=`
        ]);
        expect(await fingerprintOf('PT_ONE_A')).toBe(fingerprint(secret.value));
        expect(await fingerprintOf('PT_ONE_B')).toBe(fingerprint(''));
      });

      it('carries quotes, line breaks, the payload’s separators, non-ASCII, emoji and 32 KB byte for byte', async () => {
        const { core } = makeSecret();
        const values = [
          `quotes '"\`$\\ \\\\ ${core}`,
          'line\nbreaks\r\n\tand\u2028more\n',
          `separators :,=;,PT_EXACT_0=41,=,${'0'.repeat(32)}:F:D*`,
          'non-ASCII \u00e9 \u00df \u03a9 \u4e2d\u6587 \u202e',
          'emoji \u{1F600}\u{1F469}\u200d\u{1F469}\u200d\u{1F467}',
          '',
          // `NAME=value` of 32,767 bytes, the most an environment variable may be.
          '\u00e9'.repeat(16000) +
            'x'.repeat(32767 - 'PT_EXACT_6='.length - 32000)
        ];
        const variables: Record<string, string> = {};
        values.forEach((value, i) => {
          variables[`PT_EXACT_${i}`] = value;
        });
        await set('exact', variables);
        const got = await run(
          kernel,
          language.digests('PT_EXACT_%d', values.length)
        );
        expect(got.split('\n')).toEqual(values.map(value => digest(value)));
      });

      describe('run by hand', () => {
        const variables = { PT_X: 'good x', PT_Y: 'good y' };

        afterEach(async () => {
          await run(kernel, language.snippets.unset(['PT_X', 'PT_Y', 'PT_Z']));
        });

        /** Answers the kernel cannot take, for `n`, each holding `bad`. */
        function malformed(n: string, bad: string): [string, string][] {
          const h = hex(bad);
          return [
            ['a missing name', `${n}:FPT_X=${h}`],
            ['a wrong name', `${n}:FPT_X=${h},PT_Z=${h}`],
            ['a repeated name', `${n}:FPT_X=${h},PT_X=${h}`],
            ['a name too many', `${n}:FPT_X=${h},PT_Y=${h},PT_Z=${h}`],
            ['odd hex', `${n}:FPT_X=${h}6,PT_Y=${h}`],
            ['uppercase hex', `${n}:FPT_X=${h.toUpperCase()},PT_Y=${h}`],
            ['hex with a blank', `${n}:FPT_X=${h} ,PT_Y=${h}`],
            ['a NUL byte', `${n}:FPT_X=${h}00${h},PT_Y=${h}`],
            ['a trailing comma', `${n}:FPT_X=${h},PT_Y=${h},`],
            ['no flag', `${n}:PT_X=${h},PT_Y=${h}`],
            ['an unknown flag', `${n}:XPT_X=${h},PT_Y=${h}`],
            ['the raw values', `${n}:FPT_X=${bad},PT_Y=${bad}`],
            ['another nonce', `${nonce()}:FPT_X=${h},PT_Y=${h}`],
            ['the end', `${n}:`]
          ];
        }

        it.each(malformed('N', 'not good').map(([what]) => [what]))(
          'refuses an answer with %s and asks again',
          async what => {
            const n = nonce();
            const bad = malformed(n, 'not good').find(([w]) => w === what)![1];
            const answers = new StdinAnswers({ values: variables, nonce: n });
            let first = true;
            const { prompts, reply } = await exchange(
              kernel,
              language.snippets.set(['PT_X', 'PT_Y'], n),
              (prompt, send) => {
                send(first ? bad : answers.answer(prompt));
                first = false;
              }
            );
            expect(prompts).toEqual([`${n}:*`, `${n}:*`]);
            expect(reply.status).toBe('ok');
            expect(await fingerprintOf('PT_X')).toBe(fingerprint('good x'));
            expect(await fingerprintOf('PT_Y')).toBe(fingerprint('good y'));
            expect(await fingerprintOf('PT_Z')).toBe('unset');
          }
        );

        it('gives up after 8 answers it cannot take, with an error naming no value, and sets nothing', async () => {
          const n = nonce();
          const { core } = makeSecret();
          const wrong = malformed(n, core);
          let asked = 0;
          const { prompts, reply } = await exchange(
            kernel,
            language.snippets.set(['PT_X', 'PT_Y'], n),
            (prompt, send) => send(wrong[asked++ % wrong.length][1]),
            { silent: !language.silentErrorsDropped }
          );
          expect(prompts).toEqual(Array(8).fill(`${n}:*`));
          expect(reply.status).toBe('error');
          const { ename, evalue } = reply as { ename: string; evalue: string };
          expect(`${ename}: ${evalue}`).toMatch(/no answer from the frontend/);
          expect(await fingerprintOf('PT_X')).toBe('unset');
          expect(await fingerprintOf('PT_Y')).toBe('unset');
          // Not in the error, its traceback or any other message but the answers.
          const leaks = server.messages.filter(
            ({ msg }) =>
              msg.header.msg_type !== 'input_reply' &&
              [core, hex(core)].some(text => JSON.stringify(msg).includes(text))
          );
          expect(leaks.map(({ msg }) => msg.header.msg_type)).toEqual([]);
        });

        it('takes an unasked answer to a lost input request, then asks for the end', async () => {
          const n = nonce();
          const answers = new StdinAnswers({ values: variables, nonce: n });
          let asked = 0;
          const { prompts, reply } = await exchange(
            kernel,
            language.snippets.set(['PT_X', 'PT_Y'], n),
            (prompt, send) => {
              if (asked++ === 0) {
                // Lost on the way: after a silence, the injector answers unasked.
                setTimeout(() => send(answers.unasked()!), 300);
              } else {
                send(answers.answer(prompt));
              }
            }
          );
          expect(prompts).toEqual([`${n}:*`, `${n}:`]);
          expect(reply.status).toBe('ok');
          expect(await fingerprintOf('PT_X')).toBe(fingerprint('good x'));
          expect(await fingerprintOf('PT_Y')).toBe(fingerprint('good y'));
        });

        it('drains what follows an unasked answer that crossed its request: a later read gets no value', async () => {
          const n = nonce();
          const answers = new StdinAnswers({ values: variables, nonce: n });
          const { prompts, reply } = await exchange(
            kernel,
            language.snippets.set(['PT_X', 'PT_Y'], n),
            (prompt, send) => send(answers.answer(prompt)),
            { crossing: answers.unasked()! }
          );
          // ipykernel drops answers that came before it asks: the crossing one, or the one
          // after it. IRkernel keeps them: it reads the crossing one, then drops the next.
          expect(prompts[0]).toBe(`${n}:*`);
          expect(prompts.slice(1)).toEqual(
            Array(prompts.length - 1).fill(`${n}:`)
          );
          expect(prompts.length).toBeGreaterThanOrEqual(2);
          expect(reply.status).toBe('ok');
          expect(await fingerprintOf('PT_X')).toBe(fingerprint('good x'));
          expect(await fingerprintOf('PT_Y')).toBe(fingerprint('good y'));
          // The answer to the last request may be left, and it is the end.
          expect([TYPED, `${n}:`]).toContain(
            await run(kernel, language.readLine, TYPED)
          );
          // What the user typed may now be left over: start clean.
          await freshKernel();
        }, 60000);
      });

      describe('through the injector', () => {
        afterEach(async () => {
          await run(kernel, language.plainAsk);
        });

        it('answers a kernel slow to ask unasked; it drains, and a later read gets no value', async () => {
          await run(kernel, language.slowAsk);
          const secret = makeSecret();
          await set('slow', { PT_SLOW: secret.value });
          const { requests, replies } = stdinOf(
            server.messages,
            language.marker(['PT_SLOW'])
          );
          const prefix = requests[0].slice(0, -1);
          const payload = `PT_SLOW=${hex(secret.value)}`;
          expect(requests[0]).toMatch(/^[0-9a-f]{32}:\*$/);
          expect(requests.slice(1)).toEqual(
            Array(requests.length - 1).fill(prefix)
          );
          // The unasked answer, then one answer to each request: the values again (the
          // kernel may have dropped the unasked one), then the end.
          expect(replies).toEqual([
            `${prefix}D${payload}`,
            `${prefix}D${payload}`,
            ...Array(requests.length - 1).fill(prefix)
          ]);
          expect(await fingerprintOf('PT_SLOW')).toBe(
            fingerprint(secret.value)
          );
          await run(kernel, language.plainAsk);
          expect([TYPED, prefix]).toContain(
            await run(kernel, language.readLine, TYPED)
          );
          await freshKernel();
        }, 60000);

        it('gives a kernel whose reads show a prompt of their own the values, then the end', async () => {
          await run(kernel, language.ownPrompt);
          const secret = makeSecret();
          await set('own', { PT_OWN: secret.value });
          const { requests, replies } = stdinOf(
            server.messages,
            language.marker(['PT_OWN'])
          );
          expect(requests).toEqual(['stdin> ', 'stdin> ']);
          const prefix = replies[1];
          expect(prefix).toMatch(/^[0-9a-f]{32}:$/);
          expect(replies).toEqual([
            `${prefix}DPT_OWN=${hex(secret.value)}`,
            prefix
          ]);
          expect(await fingerprintOf('PT_OWN')).toBe(fingerprint(secret.value));
        });
      });
    });
  }
});
