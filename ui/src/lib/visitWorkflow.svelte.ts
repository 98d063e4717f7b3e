// The state of a visit's stepper beyond the participants: each school's pedagogical
// project, the current situation, the scenarios with their lines and funding plans.
//
// What the adviser types lives in drafts (never overwritten by a reply, so a reply cannot
// undo a keystroke); what the core computes (line totals, price notices, funding plans)
// lives in the scenario views it answers. Every record autosaves through its own
// SerialSaver, and every write goes through one queue so that replies come back in the
// order of the writes: the totals shown are always those of the last write.
import {
  api,
  invalidInput,
  toApiError,
  type Catalogue,
  type ClassSituation,
  type Display,
  type FundingInfo,
  type IenStatus,
  type Internet,
  type LineInput,
  type Pedagogy,
  type ScenarioView,
  type School,
  type SchoolSituation,
  type Suggestion,
  type Wifi,
  type Workflow,
  type WorkflowOptions,
} from '../api';
import { SerialSaver, type SaveState, type SaverHooks } from './autosave';
import type { Edit } from './journal.svelte';
import { SerialQueue } from './queue';
import type { SaveTracker } from './saveTracker.svelte';
import { refreshSyncSoon } from './sync.svelte';
import { retryMessage, visitSaverOptions } from './visitSaving';
import { fold, keptObjectives, parseCount, suggestionKey } from './workflow';

const DEBOUNCE_MS = 400;
// A line's quantity is saved at each keystroke so the totals follow the typing (goal:
// under 50 ms); SerialSaver coalesces keystrokes that arrive while a save is in flight.
const LINE_DEBOUNCE_MS = 0;

export interface FieldError {
  field: string | null;
  message: string;
}

export interface PedagogyDraft {
  school_id: string;
  objectives: { id: string; label: string }[];
  cycles: number[];
  uses: string[];
  crcn: string[];
  training_needs: string;
  ien_status: IenStatus;
  /** "YYYY-MM-DD" or "" (kept while the status is « à soumettre », but not sent). */
  ien_date: string;
  ien_comment: string;
  error: FieldError | null;
}

export interface ClassDraft {
  id: string;
  school_id: string;
  name: string;
  pupils: string;
  display: Display;
  teacher_computer: boolean;
  persisted: boolean;
  deleting: boolean;
  error: FieldError | null;
}

export interface SituationDraft {
  school_id: string;
  mobile_devices: string;
  mobile_charging: boolean;
  wifi: Wifi;
  wifi_switchable: boolean;
  internet: Internet;
  ent: string;
  error: FieldError | null;
}

export interface LineDraft {
  id: string;
  scenario_id: string;
  reference: string;
  school_id: string;
  /** "" for the whole school. */
  class_id: string;
  /** The text of the field, checked by the core. */
  quantity: string;
  objective_ids: string[];
  error: FieldError | null;
  busy: boolean;
}

export interface NewLine {
  scenarioId: string;
  schoolId: string;
  classId: string | null;
  reference: string;
  quantity: string;
}

function errorOf(error: unknown): FieldError {
  const e = toApiError(error);
  return { field: e.field, message: e.message };
}

function pedagogyDraft(p: Pedagogy): PedagogyDraft {
  return {
    school_id: p.school_id,
    objectives: p.objectives.map((o) => ({ id: o.id, label: o.label })),
    cycles: [...p.cycles],
    uses: [...p.uses],
    crcn: [...p.crcn],
    training_needs: p.training_needs,
    ien_status: p.ien_status,
    ien_date: p.ien_date ?? '',
    ien_comment: p.ien_comment,
    error: null,
  };
}

function classDraft(c: ClassSituation): ClassDraft {
  return {
    id: c.id,
    school_id: c.school_id,
    name: c.name,
    pupils: c.pupils === null ? '' : String(c.pupils),
    display: c.display,
    teacher_computer: c.teacher_computer,
    persisted: true,
    deleting: false,
    error: null,
  };
}

function situationDraft(s: SchoolSituation): SituationDraft {
  return {
    school_id: s.school_id,
    mobile_devices: String(s.mobile_devices),
    mobile_charging: s.mobile_charging,
    wifi: s.wifi,
    wifi_switchable: s.wifi_switchable,
    internet: s.internet,
    ent: s.ent ?? '',
    error: null,
  };
}

export class VisitWorkflow {
  readonly visitId: string;
  readonly tracker: SaveTracker;
  readonly #queue = new SerialQueue();

  loaded = $state(false);
  loadError = $state<string | null>(null);
  /** Set when a fresh read of the totals failed: what is shown may be out of date. */
  staleError = $state<string | null>(null);
  options = $state<WorkflowOptions | null>(null);
  catalogue = $state<Catalogue | null>(null);
  funding = $state<FundingInfo | null>(null);
  /** The colleague the visit belongs to when it is not this adviser's (read-only). */
  owner = $state<string | null>(null);
  /** The schools concerned by the visit (ticked on the Participants step). */
  schools = $state<School[]>([]);
  pedagogy = $state<Record<string, PedagogyDraft>>({});
  classes = $state<ClassDraft[]>([]);
  situations = $state<Record<string, SituationDraft>>({});
  scenarios = $state<ScenarioView[]>([]);
  titles = $state<Record<string, string>>({});
  lines = $state<Record<string, LineDraft>>({});
  currentScenarioId = $state<string | null>(null);

  suggestions = $state<Suggestion[] | null>(null);
  suggestionsScenario = $state<string | null>(null);
  suggestionsLoading = $state(false);
  suggestionsError = $state<string | null>(null);
  dismissed = $state<Record<string, string[]>>({});

  /** The scenario whose totals are in view. */
  current = $derived.by(
    () => this.scenarios.find((s) => s.scenario.id === this.currentScenarioId) ?? this.scenarios[0] ?? null,
  );

  #pedagogySavers = new Map<string, SerialSaver<Pedagogy, Pedagogy>>();
  #classSavers = new Map<string, SerialSaver<ClassSituation, ClassSituation>>();
  #situationSavers = new Map<string, SerialSaver<SchoolSituation, SchoolSituation>>();
  #titleSavers = new Map<string, SerialSaver<string, unknown>>();
  #lineSavers = new Map<string, SerialSaver<LineInput, ScenarioView>>();
  /** Objective ids known to be saved, per school: a removal makes lines unjustified. */
  #savedObjectives = new Map<string, Set<string>>();
  #refreshTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(visitId: string, tracker: SaveTracker) {
    this.visitId = visitId;
    this.tracker = tracker;
  }

  // ---------- Loading ----------

  /** Reads the visit; `waiting` are its edits the store has not acknowledged yet. */
  async load(waiting: Edit[] = []): Promise<void> {
    try {
      const [wf, options, catalogue] = await Promise.all([
        this.#queue.run(() => api.workflow(this.visitId)),
        api.workflowOptions(),
        api.catalogue(),
      ]);
      this.options = options;
      this.catalogue = catalogue;
      this.#take(wf);
      this.#resume(waiting);
      this.loaded = true;
    } catch (e) {
      this.loadError = toApiError(e).message;
    }
  }

  /**
   * Edits left by a previous run or still failing: shown in their fields and saved again
   * from here, where a refusal can be shown. One whose record is gone (a line of a deleted
   * scenario) stays in the journal, listed with the edits not saved.
   */
  #resume(waiting: Edit[]): void {
    for (const { call } of waiting) {
      switch (call.command) {
        case 'pedagogy_save': {
          const p = call.pedagogy;
          if (!this.pedagogy[p.school_id]) break;
          this.pedagogy[p.school_id] = pedagogyDraft(p);
          this.pedagogyChanged(p.school_id, true);
          break;
        }
        case 'class_save': {
          const c = call.class;
          const index = this.classes.findIndex((d) => d.id === c.id);
          const draft = { ...classDraft(c), persisted: index !== -1 };
          if (index === -1) this.classes.push(draft);
          else this.classes[index] = draft;
          const d = this.classes.find((x) => x.id === c.id);
          if (d) this.classChanged(d, true);
          break;
        }
        case 'school_situation_save': {
          const sit = call.situation;
          if (!this.situations[sit.school_id]) break;
          this.situations[sit.school_id] = situationDraft(sit);
          this.situationChanged(sit.school_id, true);
          break;
        }
        case 'scenario_rename':
          if (this.titles[call.id] === undefined) break;
          this.titles[call.id] = call.title;
          this.titleChanged(call.id, true);
          break;
        case 'line_save': {
          const l = call.line;
          const d = this.lines[l.id];
          if (!d) break;
          d.class_id = l.class_id ?? '';
          d.school_id = l.school_id;
          d.quantity = l.quantity;
          d.objective_ids = [...l.objective_ids];
          this.lineChanged(d, true);
          break;
        }
        default:
          break;
      }
    }
  }

  /** The schools ticked on the Participants step changed: new projects, situations… */
  async reloadSchools(): Promise<void> {
    try {
      this.#take(await this.#queue.run(() => api.workflow(this.visitId)));
      this.staleError = null;
    } catch (e) {
      this.staleError = toApiError(e).message;
    }
  }

  /** Takes a fresh read of the workflow, keeping every draft that already exists. */
  #take(wf: Workflow): void {
    this.owner = wf.owner;
    this.schools = wf.schools;
    this.funding = wf.funding;
    for (const p of wf.pedagogy) {
      if (!this.pedagogy[p.school_id]) {
        this.pedagogy[p.school_id] = pedagogyDraft(p);
        this.#savedObjectives.set(p.school_id, new Set(p.objectives.map((o) => o.id)));
      }
    }
    for (const s of wf.situations) {
      if (!this.situations[s.school_id]) this.situations[s.school_id] = situationDraft(s);
    }
    for (const c of wf.classes) {
      if (!this.classes.some((d) => d.id === c.id)) this.classes.push(classDraft(c));
    }
    this.#takeScenarios(wf.scenarios);
  }

  #takeScenarios(views: ScenarioView[]): void {
    this.scenarios = views;
    const present = new Set<string>();
    for (const view of views) {
      if (this.titles[view.scenario.id] === undefined) this.titles[view.scenario.id] = view.scenario.title;
      for (const l of view.lines) {
        present.add(l.line.id);
        this.#ensureLineDraft(view, l.line.id);
      }
    }
    for (const id of Object.keys(this.lines)) {
      if (!present.has(id) && !this.#lineSavers.get(id)?.busy) delete this.lines[id];
    }
    if (!views.some((v) => v.scenario.id === this.currentScenarioId)) {
      this.currentScenarioId = views[0]?.scenario.id ?? null;
    }
  }

  #ensureLineDraft(view: ScenarioView, lineId: string): void {
    if (this.lines[lineId]) return;
    const l = view.lines.find((x) => x.line.id === lineId)?.line;
    if (!l) return;
    this.lines[lineId] = {
      id: l.id,
      scenario_id: l.scenario_id,
      reference: l.reference,
      school_id: l.school_id,
      class_id: l.class_id ?? '',
      quantity: String(l.quantity),
      objective_ids: [...l.objective_ids],
      error: null,
      busy: false,
    };
  }

  /** A scenario as the core answered after a write: its lines, totals and plan. */
  #applyView(view: ScenarioView): void {
    const index = this.scenarios.findIndex((s) => s.scenario.id === view.scenario.id);
    if (index === -1) this.scenarios.push(view);
    else this.scenarios[index] = view;
    const present = new Set(view.lines.map((l) => l.line.id));
    for (const l of view.lines) this.#ensureLineDraft(view, l.line.id);
    for (const d of Object.values(this.lines)) {
      if (d.scenario_id === view.scenario.id && !present.has(d.id) && !this.#lineSavers.get(d.id)?.busy) {
        delete this.lines[d.id];
      }
    }
  }

  /** Re-reads the scenarios (totals depend on the classes and on the objectives). */
  async refreshScenarios(): Promise<void> {
    try {
      const wf = await this.#queue.run(() => api.workflow(this.visitId));
      this.funding = wf.funding;
      this.#takeScenarios(wf.scenarios);
      this.staleError = null;
    } catch (e) {
      this.staleError = toApiError(e).message;
    }
  }

  refreshScenariosSoon(delay = 250): void {
    if (this.#refreshTimer !== null) clearTimeout(this.#refreshTimer);
    this.#refreshTimer = setTimeout(() => {
      this.#refreshTimer = null;
      void this.refreshScenarios();
    }, delay);
  }

  /** Saves every change still waiting (leaving the screen, closing the window). */
  async flush(): Promise<void> {
    const savers = [
      ...this.#pedagogySavers.values(),
      ...this.#classSavers.values(),
      ...this.#situationSavers.values(),
      ...this.#titleSavers.values(),
      ...this.#lineSavers.values(),
    ];
    await Promise.allSettled(savers.map((s) => s.flush()));
  }

  #hooks<T, R>(key: string, setError: (e: FieldError | null) => void, onSaved?: (value: T, result: R) => void): SaverHooks<T, R> {
    return {
      onState: (state: SaveState, error?: unknown) => {
        this.tracker.update(key, state, error);
        if (state === 'error') setError(errorOf(error));
        if (state === 'retrying') setError({ field: null, message: retryMessage(error) });
        if (state === 'saved') {
          setError(null);
          refreshSyncSoon();
        }
      },
      onSaved,
    };
  }

  /** A refusal found before sending (a count that is not a number…). */
  #localError(key: string, field: string, message: string): FieldError {
    this.tracker.update(key, 'error', invalidInput(field, message));
    return { field, message };
  }

  // ---------- Pedagogical project ----------

  objectivesOf(schoolId: string): { id: string; label: string }[] {
    return this.pedagogy[schoolId]?.objectives ?? [];
  }

  #toPedagogy(d: PedagogyDraft): Pedagogy {
    return {
      school_id: d.school_id,
      objectives: d.objectives.map((o) => ({ id: o.id, label: o.label.trim() })),
      cycles: [...d.cycles].sort((a, b) => a - b),
      uses: [...d.uses],
      crcn: [...d.crcn],
      training_needs: d.training_needs,
      ien_status: d.ien_status,
      ien_date: d.ien_status === 'a_soumettre' || d.ien_date === '' ? null : d.ien_date,
      ien_comment: d.ien_comment,
    };
  }

  #pedagogySaver(schoolId: string): SerialSaver<Pedagogy, Pedagogy> {
    let saver = this.#pedagogySavers.get(schoolId);
    if (!saver) {
      saver = new SerialSaver<Pedagogy, Pedagogy>(
        (p) => this.#queue.run(() => api.pedagogySave(this.visitId, p)),
        this.#hooks<Pedagogy, Pedagogy>(
          `pedagogy:${schoolId}`,
          (e) => {
            const d = this.pedagogy[schoolId];
            if (d) d.error = e;
          },
          (_sent, saved) => this.#objectivesSaved(schoolId, saved),
        ),
        visitSaverOptions(
          this.visitId,
          `pedagogy:${schoolId}`,
          (pedagogy) => ({ command: 'pedagogy_save', visitId: this.visitId, pedagogy }),
          DEBOUNCE_MS,
        ),
      );
      this.#pedagogySavers.set(schoolId, saver);
    }
    return saver;
  }

  #objectivesSaved(schoolId: string, saved: Pedagogy): void {
    const before = this.#savedObjectives.get(schoolId) ?? new Set<string>();
    const now = new Set(saved.objectives.map((o) => o.id));
    this.#savedObjectives.set(schoolId, now);
    const removed = [...before].some((id) => !now.has(id));
    if (!removed) return;
    // Lines that served a removed objective lose it (the core did the same).
    for (const d of Object.values(this.lines)) {
      if (d.school_id === schoolId) d.objective_ids = d.objective_ids.filter((id) => now.has(id));
    }
    void this.refreshScenarios();
  }

  /** Typing (debounced) or a click (`immediate`) in a school's project. */
  pedagogyChanged(schoolId: string, immediate: boolean): void {
    const d = this.pedagogy[schoolId];
    if (!d) return;
    const saver = this.#pedagogySaver(schoolId);
    const value = this.#toPedagogy(d);
    if (immediate) void saver.flush(value);
    else saver.schedule(value);
  }

  pedagogyBlurred(schoolId: string): void {
    const saver = this.#pedagogySavers.get(schoolId);
    if (saver?.busy) void saver.flush();
  }

  /** Adds an objective (typical or typed); answers a French message when it cannot. */
  async addObjective(schoolId: string, label: string): Promise<string | null> {
    const d = this.pedagogy[schoolId];
    const text = label.trim();
    if (!d) return 'Cette école n’est pas concernée par la visite.';
    if (text === '') return 'Saisissez l’objectif avant de l’ajouter.';
    if (d.objectives.some((o) => fold(o.label.trim()) === fold(text))) {
      return 'Cet objectif est déjà dans le projet de l’école.';
    }
    let id: string;
    try {
      id = await api.newId();
    } catch (e) {
      return toApiError(e).message;
    }
    d.objectives.push({ id, label: text });
    this.pedagogyChanged(schoolId, true);
    return null;
  }

  removeObjective(schoolId: string, objectiveId: string): void {
    const d = this.pedagogy[schoolId];
    if (!d) return;
    d.objectives = d.objectives.filter((o) => o.id !== objectiveId);
    this.pedagogyChanged(schoolId, true);
  }

  /** How many lines (all scenarios) serve an objective. */
  linesServing(objectiveId: string): number {
    return Object.values(this.lines).filter((l) => l.objective_ids.includes(objectiveId)).length;
  }

  // ---------- Situation: classes ----------

  classesOf(schoolId: string): ClassDraft[] {
    return this.classes.filter((c) => c.school_id === schoolId);
  }

  #classKey(id: string): string {
    return `class:${id}`;
  }

  #classSaver(id: string): SerialSaver<ClassSituation, ClassSituation> {
    let saver = this.#classSavers.get(id);
    if (!saver) {
      saver = new SerialSaver<ClassSituation, ClassSituation>(
        (c) => this.#queue.run(() => api.classSave(this.visitId, c)),
        this.#hooks<ClassSituation, ClassSituation>(
          this.#classKey(id),
          (e) => {
            const d = this.classes.find((c) => c.id === id);
            if (d) d.error = e;
          },
          () => {
            const d = this.classes.find((c) => c.id === id);
            if (d) d.persisted = true;
            // Classes count in the funding ceilings and pupils in the cost per pupil.
            this.refreshScenariosSoon();
          },
        ),
        visitSaverOptions(
          this.visitId,
          `class:${id}`,
          (cls) => ({ command: 'class_save', visitId: this.visitId, class: cls }),
          DEBOUNCE_MS,
        ),
      );
      this.#classSavers.set(id, saver);
    }
    return saver;
  }

  async addClass(schoolId: string): Promise<string | null> {
    let id: string;
    try {
      id = await api.newId();
    } catch {
      return null;
    }
    this.classes.push({
      id,
      school_id: schoolId,
      name: '',
      pupils: '',
      display: 'aucun',
      teacher_computer: false,
      persisted: false,
      deleting: false,
      error: null,
    });
    return id;
  }

  classChanged(d: ClassDraft, immediate: boolean): void {
    if (d.deleting) return;
    const key = this.#classKey(d.id);
    const saver = this.#classSaver(d.id);
    if (!d.persisted && d.name.trim() === '') {
      // A new class is saved once it has a name.
      saver.discard();
      if (!saver.busy) this.tracker.remove(key);
      d.error = null;
      return;
    }
    const pupils = parseCount(d.pupils, 'Nombre d’élèves');
    if (!pupils.ok) {
      saver.discard();
      d.error = this.#localError(key, 'pupils', pupils.message);
      return;
    }
    const value: ClassSituation = {
      id: d.id,
      school_id: d.school_id,
      name: d.name.trim(),
      pupils: pupils.value,
      display: d.display,
      teacher_computer: d.teacher_computer,
    };
    if (immediate) void saver.flush(value);
    else saver.schedule(value);
  }

  classBlurred(d: ClassDraft): void {
    const saver = this.#classSavers.get(d.id);
    if (saver?.busy) void saver.flush();
  }

  async removeClass(d: ClassDraft): Promise<boolean> {
    const id = d.id;
    const key = this.#classKey(id);
    d.deleting = true;
    await this.#classSavers.get(id)?.cancel();
    this.#classSavers.delete(id);
    const current = this.classes.find((c) => c.id === id);
    if (current?.persisted) {
      this.tracker.update(key, 'saving');
      try {
        await this.#queue.run(() => api.classDelete(this.visitId, id));
      } catch (e) {
        this.tracker.update(key, 'error', e);
        current.error = errorOf(e);
        current.deleting = false;
        return false;
      }
    }
    this.tracker.remove(key);
    this.classes = this.classes.filter((c) => c.id !== id);
    if (current?.persisted) {
      this.tracker.savedAt = new Date();
      refreshSyncSoon();
      // Lines of that class now serve the whole school.
      for (const l of Object.values(this.lines)) if (l.class_id === id) l.class_id = '';
      void this.refreshScenarios();
    }
    return true;
  }

  // ---------- Situation: school-wide ----------

  #situationSaver(schoolId: string): SerialSaver<SchoolSituation, SchoolSituation> {
    let saver = this.#situationSavers.get(schoolId);
    if (!saver) {
      saver = new SerialSaver<SchoolSituation, SchoolSituation>(
        (s) => this.#queue.run(() => api.schoolSituationSave(this.visitId, s)),
        this.#hooks<SchoolSituation, SchoolSituation>(`situation:${schoolId}`, (e) => {
          const d = this.situations[schoolId];
          if (d) d.error = e;
        }),
        visitSaverOptions(
          this.visitId,
          `situation:${schoolId}`,
          (situation) => ({ command: 'school_situation_save', visitId: this.visitId, situation }),
          DEBOUNCE_MS,
        ),
      );
      this.#situationSavers.set(schoolId, saver);
    }
    return saver;
  }

  situationChanged(schoolId: string, immediate: boolean): void {
    const d = this.situations[schoolId];
    if (!d) return;
    const saver = this.#situationSaver(schoolId);
    const devices = parseCount(d.mobile_devices, 'Appareils mobiles');
    if (!devices.ok) {
      saver.discard();
      d.error = this.#localError(`situation:${schoolId}`, 'mobile_devices', devices.message);
      return;
    }
    const ent = d.ent.trim();
    const value: SchoolSituation = {
      school_id: schoolId,
      mobile_devices: devices.value ?? 0,
      mobile_charging: d.mobile_charging,
      wifi: d.wifi,
      wifi_switchable: d.wifi_switchable,
      internet: d.internet,
      ent: ent === '' ? null : ent,
    };
    if (immediate) void saver.flush(value);
    else saver.schedule(value);
  }

  situationBlurred(schoolId: string): void {
    const saver = this.#situationSavers.get(schoolId);
    if (saver?.busy) void saver.flush();
  }

  // ---------- Scenarios ----------

  selectScenario(id: string): void {
    this.currentScenarioId = id;
  }

  /** Adds the next scenario (A, B, C) and shows it; answers a French message on refusal. */
  async addScenario(): Promise<string | null> {
    const key = 'scenario:add';
    this.tracker.update(key, 'saving');
    try {
      const scenario = await this.#queue.run(() => api.scenarioAdd(this.visitId, ''));
      this.titles[scenario.id] = scenario.title;
      await this.refreshScenarios();
      this.currentScenarioId = scenario.id;
      this.tracker.update(key, 'saved');
      refreshSyncSoon();
      return null;
    } catch (e) {
      this.tracker.remove(key);
      return toApiError(e).message;
    }
  }

  titleChanged(id: string, immediate: boolean): void {
    let saver = this.#titleSavers.get(id);
    if (!saver) {
      saver = new SerialSaver<string, unknown>(
        (title) => this.#queue.run(() => api.scenarioRename(this.visitId, id, title)),
        this.#hooks<string, unknown>(`scenario:${id}`, () => {}, (title) => {
          const view = this.scenarios.find((s) => s.scenario.id === id);
          if (view) view.scenario.title = title.trim();
        }),
        visitSaverOptions(
          this.visitId,
          `scenario:${id}`,
          (title) => ({ command: 'scenario_rename', visitId: this.visitId, id, title }),
          DEBOUNCE_MS,
        ),
      );
      this.#titleSavers.set(id, saver);
    }
    const title = this.titles[id] ?? '';
    if (immediate) void saver.flush(title);
    else saver.schedule(title);
  }

  titleBlurred(id: string): void {
    const saver = this.#titleSavers.get(id);
    if (saver?.busy) void saver.flush();
  }

  async deleteScenario(id: string): Promise<string | null> {
    const key = `scenario:${id}`;
    const lineIds = Object.values(this.lines)
      .filter((l) => l.scenario_id === id)
      .map((l) => l.id);
    await this.#titleSavers.get(id)?.cancel();
    this.#titleSavers.delete(id);
    for (const lineId of lineIds) {
      await this.#lineSavers.get(lineId)?.cancel();
      this.#lineSavers.delete(lineId);
      this.tracker.remove(`line:${lineId}`);
    }
    this.tracker.update(key, 'saving');
    try {
      await this.#queue.run(() => api.scenarioDelete(this.visitId, id));
    } catch (e) {
      this.tracker.update(key, 'error', e);
      return toApiError(e).message;
    }
    this.tracker.remove(key);
    this.tracker.savedAt = new Date();
    refreshSyncSoon();
    for (const lineId of lineIds) delete this.lines[lineId];
    delete this.titles[id];
    delete this.dismissed[id];
    this.scenarios = this.scenarios.filter((s) => s.scenario.id !== id);
    if (this.currentScenarioId === id) this.currentScenarioId = this.scenarios[0]?.scenario.id ?? null;
    if (this.suggestionsScenario === id) this.suggestions = null;
    return null;
  }

  // ---------- Lines ----------

  linesOf(scenarioId: string): LineDraft[] {
    const view = this.scenarios.find((s) => s.scenario.id === scenarioId);
    if (!view) return [];
    return view.lines.map((l) => this.lines[l.line.id]).filter((d): d is LineDraft => d !== undefined);
  }

  viewOf(d: LineDraft) {
    return this.scenarios.find((s) => s.scenario.id === d.scenario_id)?.lines.find((l) => l.line.id === d.id) ?? null;
  }

  #lineKey(id: string): string {
    return `line:${id}`;
  }

  #toLineInput(d: LineDraft): LineInput {
    return {
      id: d.id,
      scenario_id: d.scenario_id,
      school_id: d.school_id,
      class_id: d.class_id === '' ? null : d.class_id,
      reference: d.reference,
      quantity: d.quantity,
      objective_ids: keptObjectives(d.objective_ids, this.objectivesOf(d.school_id)),
    };
  }

  #lineSaver(id: string): SerialSaver<LineInput, ScenarioView> {
    let saver = this.#lineSavers.get(id);
    if (!saver) {
      saver = new SerialSaver<LineInput, ScenarioView>(
        (input) => this.#queue.run(() => api.lineSave(this.visitId, input)),
        this.#hooks<LineInput, ScenarioView>(
          this.#lineKey(id),
          (e) => {
            const d = this.lines[id];
            if (d) d.error = e;
          },
          (_input, view) => this.#applyView(view),
        ),
        visitSaverOptions(
          this.visitId,
          `line:${id}`,
          (line) => ({ command: 'line_save', visitId: this.visitId, line }),
          LINE_DEBOUNCE_MS,
        ),
      );
      this.#lineSavers.set(id, saver);
    }
    return saver;
  }

  /** Adds a line from the catalogue; answers the new line's id, or a French message. */
  async addLine(n: NewLine): Promise<{ id: string } | { error: FieldError }> {
    let id: string;
    try {
      id = await api.newId();
    } catch (e) {
      return { error: errorOf(e) };
    }
    const key = this.#lineKey(id);
    this.tracker.update(key, 'saving');
    try {
      const view = await this.#queue.run(() =>
        api.lineSave(this.visitId, {
          id,
          scenario_id: n.scenarioId,
          school_id: n.schoolId,
          class_id: n.classId,
          reference: n.reference,
          quantity: n.quantity,
          objective_ids: [],
        }),
      );
      this.#applyView(view);
      this.tracker.update(key, 'saved');
      refreshSyncSoon();
      return { id };
    } catch (e) {
      this.tracker.remove(key);
      return { error: errorOf(e) };
    }
  }

  lineChanged(d: LineDraft, immediate: boolean): void {
    if (d.busy) return;
    const saver = this.#lineSaver(d.id);
    const value = this.#toLineInput(d);
    if (immediate) void saver.flush(value);
    else saver.schedule(value);
  }

  lineBlurred(d: LineDraft): void {
    const saver = this.#lineSavers.get(d.id);
    if (saver?.busy) void saver.flush();
  }

  /** Another school for a line: its class and objectives were that school's. */
  lineSchoolChanged(d: LineDraft): void {
    d.class_id = '';
    d.objective_ids = [];
    this.lineChanged(d, true);
  }

  async removeLine(d: LineDraft): Promise<boolean> {
    const id = d.id;
    const key = this.#lineKey(id);
    d.busy = true;
    await this.#lineSavers.get(id)?.cancel();
    this.#lineSavers.delete(id);
    this.tracker.update(key, 'saving');
    try {
      const view = await this.#queue.run(() => api.lineDelete(this.visitId, d.scenario_id, id));
      delete this.lines[id];
      this.#applyView(view);
    } catch (e) {
      this.tracker.update(key, 'error', e);
      d.error = errorOf(e);
      d.busy = false;
      return false;
    }
    this.tracker.remove(key);
    this.tracker.savedAt = new Date();
    refreshSyncSoon();
    return true;
  }

  /** Takes the current catalogue price (the adviser asked for it). */
  async repriceLine(d: LineDraft): Promise<void> {
    const key = this.#lineKey(d.id);
    await this.#lineSavers.get(d.id)?.flush();
    d.busy = true;
    this.tracker.update(key, 'saving');
    try {
      const view = await this.#queue.run(() => api.lineReprice(this.visitId, d.scenario_id, d.id));
      this.#applyView(view);
      d.error = null;
      this.tracker.update(key, 'saved');
      refreshSyncSoon();
    } catch (e) {
      d.error = errorOf(e);
      this.tracker.update(key, 'error', e);
    } finally {
      d.busy = false;
    }
  }

  // ---------- « Socle numérique » suggestions ----------

  async loadSuggestions(): Promise<void> {
    const scenario = this.current?.scenario.id ?? null;
    this.suggestionsScenario = scenario;
    if (scenario === null) {
      this.suggestions = null;
      return;
    }
    this.suggestionsLoading = true;
    this.suggestionsError = null;
    try {
      await this.flush();
      const list = await this.#queue.run(() => api.socleSuggestions(this.visitId, scenario));
      if (this.suggestionsScenario === scenario) this.suggestions = list;
    } catch (e) {
      this.suggestionsError = toApiError(e).message;
    } finally {
      this.suggestionsLoading = false;
    }
  }

  visibleSuggestions(): Suggestion[] {
    const scenario = this.suggestionsScenario;
    if (!this.suggestions || scenario === null) return [];
    const gone = new Set(this.dismissed[scenario] ?? []);
    return this.suggestions.filter((s) => !gone.has(suggestionKey(s)));
  }

  /** Accepts a suggestion, with the quantity as suggested or as edited. */
  async acceptSuggestion(s: Suggestion, quantity?: string): Promise<FieldError | null> {
    const scenario = this.suggestionsScenario;
    if (scenario === null) return { field: null, message: 'Aucun scénario choisi.' };
    const result = await this.addLine({
      scenarioId: scenario,
      schoolId: s.school_id,
      classId: s.class_id,
      reference: s.reference,
      quantity: quantity ?? String(s.quantity),
    });
    if ('error' in result) return result.error;
    this.dismissSuggestion(s);
    return null;
  }

  dismissSuggestion(s: Suggestion): void {
    const scenario = this.suggestionsScenario;
    if (scenario === null) return;
    const list = this.dismissed[scenario] ?? [];
    this.dismissed[scenario] = [...list, suggestionKey(s)];
  }
}
