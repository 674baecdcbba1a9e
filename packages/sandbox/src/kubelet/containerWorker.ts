/**
 * One container of a pod across its restarts: pulls its image, starts instances, runs its probes,
 * restarts it per restartPolicy with the crash-loop back-off, and reports its ContainerStatus and
 * the kubelet's events (Pulled, Created, Started, Killing, BackOff, Unhealthy, Failed).
 */
import { existsSync } from 'node:fs';
import type { Container, ContainerStateTerminated, ContainerStatus, Pod, Probe } from 'kubernetes-types/core/v1';
import { nowTimestamp } from '../apiServer/registry';
import type { ProcessTracker } from '../util/processes';
import { type Backoff, formatGoDuration } from './backoff';
import { expandCommand, type EnvResult } from './containerEnv';
import { ContainerInstance, type InstanceExit } from './containerRunner';
import { type ImageCommand, type ImageRegistry, parseImageReference, type PulledImage } from './imageRegistry';
import { containerLogPath, type PodLogKey } from './logWriter';
import { ImagePuller } from './imagePuller';
import { runPreStop } from './lifecycleHooks';
import { ProbeWorker, type ProbeKind, type ProbeTarget } from './probes';

/** What a container needs from its pod and the kubelet. */
export interface ContainerContext {
  /** The latest pod object. */
  pod(): Pod;
  podKey: PodLogKey;
  podIP: string;
  stateDir: string;
  /** Working directory for processes whose container sets none. */
  podDir: string;
  images: ImageRegistry;
  tracker: ProcessTracker;
  crashBackoff: Backoff;
  pullBackoff: Backoff;
  /** Records a kubelet event about the pod. */
  event(type: 'Normal' | 'Warning', reason: string, message: string): void;
  /** The container's environment (may fail on a missing ConfigMap or Secret). */
  env(container: Container): Promise<EnvResult>;
  /** Runs the command with the container's volumes mounted where it expects them (may leave it as it is). */
  mount(container: Container, command: ImageCommand): { command: string; args: string[] };
  /** The container's status changed: the pod's status needs writing. */
  changed(): void;
}

type Waiting = { reason: string; message?: string };

/** Lifecycle of a container: starting/running and restarting, done for good, or stopped with its pod. */
export type ContainerPhase = 'active' | 'terminated' | 'stopping' | 'stopped';

export class ContainerWorker {
  phase: ContainerPhase = 'active';
  private instance: ContainerInstance | undefined;
  private index = -1;
  private waiting: Waiting | undefined = { reason: 'ContainerCreating' };
  private lastTerminated: ContainerStateTerminated | undefined;
  private terminated: ContainerStateTerminated | undefined;
  private pulled: PulledImage | undefined;
  private ready = false;
  private started = false;
  private probes: ProbeWorker[] = [];
  private timers = new Set<NodeJS.Timeout>();
  private restartAnyway = false;
  /** A start is waiting for the container's environment: a second one must not begin meanwhile. */
  private preparing = false;
  private readonly puller: ImagePuller;
  private env: Record<string, string> = {};

  constructor(
    readonly name: string,
    private readonly ctx: ContainerContext,
  ) {
    this.puller = new ImagePuller(ctx.images, ctx.pullBackoff, `${ctx.podKey.uid}/`, {
      event: (type, reason, message) => ctx.event(type, reason, message),
      setWaiting: (reason, message) => this.setWaiting({ reason, message }),
      later: (ms, fn) => this.later(ms, fn),
      retry: () => this.attemptStart(),
    });
  }

  private spec(): Container {
    const c = (this.ctx.pod().spec?.containers ?? []).find((x) => x.name === this.name);
    if (!c) throw new Error(`container ${this.name} is not in the pod spec`);
    return c;
  }

  private get backoffKey(): string {
    return `${this.ctx.podKey.uid}/${this.name}`;
  }

  private podRef(): string {
    const k = this.ctx.podKey;
    return `${k.name}_${k.namespace}(${k.uid})`;
  }

  private later(ms: number, fn: () => void): void {
    const t = setTimeout(
      () => {
        this.timers.delete(t);
        if (this.phase === 'active') fn();
      },
      Math.max(0, ms),
    );
    this.timers.add(t);
  }

  private clearTimers(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  /** The log writer of the newest instance (for followers). */
  get logWriter(): ContainerInstance['logs'] | undefined {
    return this.instance?.logs;
  }

  /** Process id of the running instance. */
  get pid(): number | undefined {
    return this.instance && !this.instance.exitInfo ? this.instance.pid : undefined;
  }

  /** Starts the first instance (or whatever stands in its way: pulling, config errors). */
  start(): void {
    this.attemptStart();
  }

  private setWaiting(w: Waiting | undefined): void {
    this.waiting = w;
    this.ctx.changed();
  }

  private attemptStart(): void {
    if (this.phase !== 'active' || this.preparing) return;
    const c = this.spec();
    const image = this.puller.pull(c);
    if (!image) return;
    this.pulled = image;
    this.preparing = true;
    void this.ctx
      .env(c)
      .catch((e: unknown): EnvResult => ({ ok: false, message: (e as Error).message }))
      .then((env) => {
        this.preparing = false;
        if (this.phase !== 'active') return;
        // The image may have changed while the environment was read: start what the spec says now.
        if (this.spec().image !== c.image) return this.attemptStart();
        this.startInstance(c, image, env);
      });
  }

  private startInstance(c: Container, image: PulledImage, env: EnvResult): void {
    if (!env.ok) return this.configError('CreateContainerConfigError', env.message);
    let command;
    try {
      command = this.ctx.mount(c, image.definition.build(expandCommand(c, env.env), image.reference));
    } catch (e) {
      return this.configError('CreateContainerError', (e as Error).message);
    }
    this.env = env.env;
    const k = this.ctx.podKey;
    let inst: ContainerInstance;
    try {
      inst = new ContainerInstance(this.ctx.tracker, {
        trackerName: `${k.namespace}_${k.name}_${k.uid.slice(0, 8)}_${this.name}_${this.index + 1}`,
        command: command.command,
        args: command.args,
        env: env.env,
        cwd: this.workingDir(c),
        logPath: containerLogPath(this.ctx.stateDir, k, this.name, this.index + 1),
      });
    } catch (e) {
      return this.configError('CreateContainerError', (e as Error).message);
    }
    this.index++;
    this.instance = inst;
    this.terminated = undefined;
    this.ctx.event('Normal', 'Created', `Created container: ${this.name}`);
    void inst.exited
      .then((exit) => this.onExit(inst, exit))
      .catch((e: unknown) => this.ctx.event('Warning', 'Failed', `Error: ${(e as Error).message}`));
    if (inst.pid === undefined) return;
    this.ctx.event('Normal', 'Started', `Started container ${this.name}`);
    this.waiting = undefined;
    this.startProbes(c);
    this.ctx.changed();
  }

  private configError(reason: string, message: string): void {
    this.ctx.event('Warning', 'Failed', `Error: ${message}`);
    this.setWaiting({ reason, message });
    this.later(this.ctx.crashBackoff.policy.initialMs, () => this.attemptStart());
  }

  /** The container's workingDir when it exists on this machine, else the pod's directory (there is no image filesystem). */
  private workingDir(c: Container): string {
    return c.workingDir && existsSync(c.workingDir) ? c.workingDir : this.ctx.podDir;
  }

  private probeTarget(c: Container): ProbeTarget {
    return { podIP: this.ctx.podIP, ports: c.ports ?? [], env: this.env, cwd: this.workingDir(c) };
  }

  private probe(kind: ProbeKind, spec: Probe, c: Container, onChange: (state: boolean) => void): void {
    const label = `${kind[0].toUpperCase()}${kind.slice(1)}`;
    const w = new ProbeWorker(kind, spec, this.probeTarget(c), (outcome, state, changed) => {
      if (!outcome.ok) this.ctx.event('Warning', 'Unhealthy', `${label} probe failed: ${outcome.message}`);
      if (changed) onChange(state);
    });
    this.probes.push(w);
    w.start();
  }

  private startProbes(c: Container): void {
    this.started = false;
    this.ready = false;
    const afterStartup = (): void => {
      this.started = true;
      if (c.readinessProbe) {
        this.probe('readiness', c.readinessProbe, c, (ok) => {
          this.ready = ok;
          this.ctx.changed();
        });
      } else this.ready = true;
      if (c.livenessProbe)
        this.probe('liveness', c.livenessProbe, c, (ok) => !ok && this.killForProbe('liveness', c.livenessProbe));
      this.ctx.changed();
    };
    if (c.startupProbe) {
      this.probe('startup', c.startupProbe, c, (ok) =>
        ok ? afterStartup() : this.killForProbe('startup', c.startupProbe),
      );
    } else afterStartup();
  }

  private stopProbes(): void {
    for (const p of this.probes) p.stop();
    this.probes = [];
  }

  private graceMs(probe?: Probe): number {
    return (probe?.terminationGracePeriodSeconds ?? this.ctx.pod().spec?.terminationGracePeriodSeconds ?? 30) * 1000;
  }

  private killForProbe(kind: ProbeKind, probe: Probe | undefined): void {
    const inst = this.instance;
    if (!inst || inst.exitInfo || this.phase !== 'active') return;
    this.ctx.event('Normal', 'Killing', `Container ${this.name} failed ${kind} probe, will be restarted`);
    this.stopProbes();
    this.ready = false;
    this.ctx.changed();
    void inst.stop(this.graceMs(probe));
  }

  /** The image in the spec changed: stop this instance and start one of the new image. */
  imageChanged(): void {
    const inst = this.instance;
    if (this.phase !== 'active') return;
    if (!inst || inst.exitInfo) {
      this.clearTimers();
      this.attemptStart();
      return;
    }
    this.ctx.event('Normal', 'Killing', `Container ${this.name} definition changed, will be restarted`);
    this.restartAnyway = true;
    this.stopProbes();
    this.ready = false;
    this.ctx.changed();
    void inst.stop(this.graceMs());
  }

  private onExit(inst: ContainerInstance, exit: InstanceExit): void {
    if (inst !== this.instance) return;
    this.stopProbes();
    this.ready = false;
    this.started = false;
    const terminated: ContainerStateTerminated = {
      exitCode: exit.exitCode,
      ...(exit.signal ? { signal: exit.signal } : {}),
      reason: exit.reason,
      ...(exit.message ? { message: exit.message } : {}),
      startedAt: nowTimestamp(inst.startedAt),
      finishedAt: nowTimestamp(exit.finishedAt),
      ...(inst.pid !== undefined ? { containerID: `sandbox://${inst.pid}` } : {}),
    };
    if (exit.reason === 'StartError')
      this.ctx.event('Warning', 'Failed', `Error: failed to start container "${this.name}": ${exit.message ?? ''}`);
    const policy = this.ctx.pod().spec?.restartPolicy ?? 'Always';
    const restart = this.restartAnyway || policy === 'Always' || (policy === 'OnFailure' && exit.exitCode !== 0);
    if (this.phase !== 'active' || !restart) {
      this.terminated = terminated;
      if (this.phase === 'active') this.phase = 'terminated';
      this.ctx.changed();
      return;
    }
    this.lastTerminated = terminated;
    const skipBackoff = this.restartAnyway;
    this.restartAnyway = false;
    this.restart(exit.finishedAt, skipBackoff);
  }

  private restart(finishedAt: number, skipBackoff = false): void {
    const b = this.ctx.crashBackoff;
    if (!skipBackoff && b.inBackOffSince(this.backoffKey, finishedAt, Date.now())) {
      this.ctx.event('Warning', 'BackOff', `Back-off restarting failed container ${this.name} in pod ${this.podRef()}`);
      this.setWaiting({
        reason: 'CrashLoopBackOff',
        message: `back-off ${formatGoDuration(b.get(this.backoffKey))} restarting failed container=${this.name} pod=${this.podRef()}`,
      });
      this.later(b.endsAt(this.backoffKey, finishedAt) - Date.now() + 1, () => this.restart(finishedAt));
      return;
    }
    if (!skipBackoff) b.next(this.backoffKey, finishedAt);
    this.attemptStart();
  }

  /**
   * Stops the container for good (its pod is going away): preStop hook, SIGTERM, SIGKILL at `deadline`
   * (epoch ms). Calling it again with an earlier deadline shortens the wait.
   */
  async stop(deadline: number): Promise<void> {
    const inst = this.instance;
    const first = this.phase !== 'stopping' && this.phase !== 'stopped';
    this.clearTimers();
    this.stopProbes();
    if (this.phase === 'active' || this.phase === 'terminated') this.phase = 'stopping';
    this.ready = false;
    if (!inst || inst.exitInfo) {
      this.phase = 'stopped';
      return;
    }
    if (first) {
      this.ctx.event('Normal', 'Killing', `Stopping container ${this.name}`);
      this.ctx.changed();
      const failure = await runPreStop(this.spec().lifecycle?.preStop, this.probeTarget(this.spec()), deadline);
      if (failure) this.ctx.event('Warning', 'FailedPreStopHook', `PreStopHook failed: ${failure}`);
    }
    await inst.stop(deadline - Date.now());
    this.phase = 'stopped';
  }

  /** The container's status, as `status.containerStatuses[]` shows it. */
  status(): ContainerStatus {
    const c = this.spec();
    const running = this.instance && !this.instance.exitInfo && !this.waiting;
    const state: ContainerStatus['state'] = this.terminated
      ? { terminated: this.terminated }
      : running && this.instance
        ? { running: { startedAt: nowTimestamp(this.instance.startedAt) } }
        : { waiting: this.waiting ?? { reason: 'ContainerCreating' } };
    const s: ContainerStatus = {
      name: this.name,
      state,
      lastState: this.lastTerminated ? { terminated: this.lastTerminated } : {},
      ready: Boolean(running) && this.ready,
      restartCount: Math.max(0, this.index),
      image: this.pulled?.reference.normalized ?? parseImageReference(c.image ?? '').normalized,
      imageID: this.pulled?.imageID ?? '',
      started: Boolean(running) && this.started,
    };
    // As on a cluster, the ID names the newest instance even while the container waits to restart.
    if (this.instance?.pid !== undefined) s.containerID = `sandbox://${this.instance.pid}`;
    return s;
  }
}
