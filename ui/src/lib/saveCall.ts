// A save, as data: which command and with which arguments. The journal of edits waiting for
// the store keeps these (so a refused save can be replayed after a restart of the app) and
// the visit screen reads them back into its fields. Only the autosaved edits of a visit are
// here; each variant mirrors one wrapper of `api`.
import {
  api,
  type ClassSituation,
  type LineInput,
  type Participant,
  type Pedagogy,
  type Scenario,
  type ScenarioView,
  type SchoolSituation,
  type Visit,
  type VisitPatch,
} from '../api';
import { formatDateTime, NBSP } from './format';

export type SaveCall =
  | { command: 'visit_update'; visitId: string; patch: VisitPatch }
  | { command: 'participant_save'; visitId: string; participant: Participant }
  | { command: 'pedagogy_save'; visitId: string; pedagogy: Pedagogy }
  | { command: 'class_save'; visitId: string; class: ClassSituation }
  | { command: 'school_situation_save'; visitId: string; situation: SchoolSituation }
  | { command: 'scenario_rename'; visitId: string; id: string; title: string }
  | { command: 'line_save'; visitId: string; line: LineInput };

export type SaveCommand = SaveCall['command'];

/** What each command answers. */
export interface SaveResults {
  visit_update: Visit;
  participant_save: Participant;
  pedagogy_save: Pedagogy;
  class_save: ClassSituation;
  school_situation_save: SchoolSituation;
  scenario_rename: Scenario;
  line_save: ScenarioView;
}

/** The call of one command, narrowed from the union. */
export type CallOf<C extends SaveCommand> = Extract<SaveCall, { command: C }>;

/** Sends a save to the core through its `api` wrapper. */
export function performSave<C extends SaveCall>(call: C): Promise<SaveResults[C['command']]> {
  return send(call) as Promise<SaveResults[C['command']]>;
}

function send(call: SaveCall): Promise<unknown> {
  switch (call.command) {
    case 'visit_update':
      return api.visitUpdate(call.visitId, call.patch);
    case 'participant_save':
      return api.participantSave(call.visitId, call.participant);
    case 'pedagogy_save':
      return api.pedagogySave(call.visitId, call.pedagogy);
    case 'class_save':
      return api.classSave(call.visitId, call.class);
    case 'school_situation_save':
      return api.schoolSituationSave(call.visitId, call.situation);
    case 'scenario_rename':
      return api.scenarioRename(call.visitId, call.id, call.title);
    case 'line_save':
      return api.lineSave(call.visitId, call.line);
  }
}

const quoted = (text: string) => `«${NBSP}${text}${NBSP}»`;

/** What the edit is, in French, for the list of edits not saved. */
export function describeCall(call: SaveCall): string {
  switch (call.command) {
    case 'visit_update': {
      const p = call.patch;
      if (p.scheduled_at !== undefined) return `Date de la visite${NBSP}: ${formatDateTime(p.scheduled_at)}`;
      if (p.notes !== undefined) return 'Notes de la visite';
      return 'Écoles concernées par la visite';
    }
    case 'participant_save':
      return `Participant ${quoted(call.participant.name)}`;
    case 'pedagogy_save':
      return 'Projet pédagogique d’une école';
    case 'class_save':
      return `Classe ${quoted(call.class.name)}`;
    case 'school_situation_save':
      return 'Situation d’une école (équipement, Wi-Fi, Internet)';
    case 'scenario_rename':
      return `Titre de scénario ${quoted(call.title)}`;
    case 'line_save':
      return `Ligne ${call.line.reference}${NBSP}: quantité ${call.line.quantity}`;
  }
}

/** Whether `value` is a `SaveCall` (a journal file is read back from the disk). */
export function isSaveCall(value: unknown): value is SaveCall {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  if (typeof v.visitId !== 'string') return false;
  switch (v.command) {
    case 'visit_update':
      return typeof v.patch === 'object' && v.patch !== null;
    case 'participant_save':
      return typeof v.participant === 'object' && v.participant !== null;
    case 'pedagogy_save':
      return typeof v.pedagogy === 'object' && v.pedagogy !== null;
    case 'class_save':
      return typeof v.class === 'object' && v.class !== null;
    case 'school_situation_save':
      return typeof v.situation === 'object' && v.situation !== null;
    case 'scenario_rename':
      return typeof v.id === 'string' && typeof v.title === 'string';
    case 'line_save':
      return typeof v.line === 'object' && v.line !== null;
    default:
      return false;
  }
}
