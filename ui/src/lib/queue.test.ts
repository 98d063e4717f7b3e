import { describe, expect, it } from 'vitest';
import { SerialQueue } from './queue';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function settle() {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

describe('SerialQueue', () => {
  it('starts a task only when the previous one has settled', async () => {
    const q = new SerialQueue();
    const started: string[] = [];
    const first = deferred<string>();
    const second = deferred<string>();
    const a = q.run(() => {
      started.push('a');
      return first.promise;
    });
    const b = q.run(() => {
      started.push('b');
      return second.promise;
    });
    await settle();
    expect(started).toEqual(['a']);
    first.resolve('A');
    expect(await a).toBe('A');
    await settle();
    expect(started).toEqual(['a', 'b']);
    second.resolve('B');
    expect(await b).toBe('B');
  });

  it('goes on after a failed task, which rejects only its own promise', async () => {
    const q = new SerialQueue();
    const failing = q.run(() => Promise.reject(new Error('refusé')));
    const next = q.run(() => Promise.resolve(42));
    await expect(failing).rejects.toThrow('refusé');
    expect(await next).toBe(42);
  });

  it('delivers results in the order the tasks were given, whatever their duration', async () => {
    const q = new SerialQueue();
    const order: number[] = [];
    const slow = deferred<number>();
    const tasks = [
      q.run(() => slow.promise).then((v) => order.push(v)),
      q.run(() => Promise.resolve(2)).then((v) => order.push(v)),
      q.run(() => Promise.resolve(3)).then((v) => order.push(v)),
    ];
    setTimeout(() => slow.resolve(1), 5);
    await Promise.all(tasks);
    expect(order).toEqual([1, 2, 3]);
  });

  it('idle waits for tasks given while waiting', async () => {
    const q = new SerialQueue();
    const done: string[] = [];
    const gate = deferred<void>();
    void q.run(async () => {
      await gate.promise;
      done.push('a');
      void q.run(async () => {
        done.push('b');
      });
    });
    const idle = q.idle().then(() => done.push('idle'));
    gate.resolve();
    await idle;
    expect(done).toEqual(['a', 'b', 'idle']);
  });
});
