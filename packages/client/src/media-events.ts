/**
 * The one dispatch of a Publisher or Subscriber: the delegate method first, then the typed event
 * listeners, each guarded (what they throw goes to the session's error hook).
 */
import { TypedEmitter } from './events.js';

/** @internal */
export class MediaEvents<M extends object, D extends object> {
  readonly emitter: TypedEmitter<M>;
  #report: (error: unknown, event: string) => void = (error, event) => {
    console.error(`[parley] a "${event}" listener threw:`, error);
  };

  constructor(private readonly delegate: D | undefined) {
    this.emitter = new TypedEmitter<M>((error, event) => {
      this.#report(error, event);
    });
  }

  /** Where throws go from now on (the session's `onListenerError`). */
  reportTo(report: (error: unknown, event: string) => void): void {
    this.#report = report;
  }

  /** Call the delegate's method (if it has one), then the listeners of `event`. */
  dispatch<K extends keyof M>(event: K, context: M[K], call: (d: D) => void): void {
    if (this.delegate !== undefined) {
      try {
        call(this.delegate);
      } catch (error) {
        this.#report(error, `delegate:${String(event)}`);
      }
    }
    this.emitter.emit(event, context);
  }
}
