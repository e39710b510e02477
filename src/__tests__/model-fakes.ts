import { Signal } from '@lumino/signaling';
import type { IKernelInjectionStatus, IKernelInjector } from '../tokens';

/**
 * Records what the model asks of the kernels (the real injector is tested in injection tests).
 */
export class RecordingInjector implements IKernelInjector {
  readonly changed: Signal<IKernelInjector, void> = new Signal(this);
  live = new Map<string, Record<string, string>>();
  /** Every call, in order: `set <id>` or `clear <id>`. */
  history: string[] = [];
  async set(id: string, variables: Record<string, string>): Promise<void> {
    this.history.push(`set ${id}`);
    this.live.set(id, variables);
  }
  async adopt(
    id: string,
    source: IKernelInjector.IAdoptOptions
  ): Promise<void> {
    this.history.push(`adopt ${id}`);
    this.live.set(id, await source.load());
  }
  check(): void {
    /* the real checks are tested with the injector */
  }
  async clear(id: string): Promise<void> {
    this.history.push(`clear ${id}`);
    this.live.delete(id);
  }
  status(id: string): IKernelInjectionStatus[] {
    return this.live.has(id)
      ? [
          {
            kernelId: 'k1',
            kernelName: 'python3',
            language: 'python',
            state: 'injected'
          }
        ]
      : [];
  }
  addSessionContext(): void {
    /* not needed here */
  }
}
