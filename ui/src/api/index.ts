// The only module that talks to the Rust core. One typed wrapper per Tauri command;
// argument names are camelCase here, Tauri turns them into the commands' snake_case params.
import { invoke, type InvokeArgs } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';

import type { AppStatus } from './types/AppStatus';
import type { Catalogue } from './types/Catalogue';
import type { ClassSituation } from './types/ClassSituation';
import type { FundingPlan } from './types/FundingPlan';
import type { LineInput } from './types/LineInput';
import type { Pedagogy } from './types/Pedagogy';
import type { Scenario } from './types/Scenario';
import type { ScenarioView } from './types/ScenarioView';
import type { SchoolSituation } from './types/SchoolSituation';
import type { Suggestion } from './types/Suggestion';
import type { Workflow } from './types/Workflow';
import type { WorkflowOptions } from './types/WorkflowOptions';
import type { CommuneHit } from './types/CommuneHit';
import type { CommuneSheet } from './types/CommuneSheet';
import type { CommuneMap } from './types/CommuneMap';
import type { Neighbourhood } from './types/Neighbourhood';
import type { Home } from './types/Home';
import type { ImportReport } from './types/ImportReport';
import type { Labels } from './types/Labels';
import type { Participant } from './types/Participant';
import type { Role } from './types/Role';
import type { RowError } from './types/RowError';
import type { School } from './types/School';
import type { SchoolInput } from './types/SchoolInput';
import type { SchoolKind } from './types/SchoolKind';
import type { Visit } from './types/Visit';
import type { VisitPatch } from './types/VisitPatch';
import type { VisitSummary } from './types/VisitSummary';
import type { VisitRow } from './types/VisitRow';
import type { Zoom } from './types/Zoom';
import type { Civility } from './types/Civility';
import type { DocumentSettings } from './types/DocumentSettings';
import type { DraftPatch } from './types/DraftPatch';
import type { ProposalStatus } from './types/ProposalStatus';
import type { ProposalSummary } from './types/ProposalSummary';
import type { Acceptance } from './types/Acceptance';
import type { SyncConflict } from './types/SyncConflict';
import type { SyncPhase } from './types/SyncPhase';
import type { SyncStatus } from './types/SyncStatus';
import type { FirstStart } from './types/FirstStart';
import type { WelcomePath } from './types/WelcomePath';
import type { ErrorCode } from './types/ErrorCode';
import { isErrorCode } from './errorCodes';

export type {
  AppStatus,
  Catalogue,
  CommuneHit,
  CommuneSheet,
  Home,
  ImportReport,
  Labels,
  Participant,
  Role,
  RowError,
  School,
  SchoolInput,
  SchoolKind,
  Visit,
  VisitPatch,
  VisitRow,
  VisitSummary,
};
export type { ProposalBrief } from './types/ProposalBrief';
export type { CommuneMap, Neighbourhood };
export type { MapCommune } from './types/MapCommune';
export type { Stage } from './types/Stage';
export type { Acceptance } from './types/Acceptance';
export type { OfferedScenario } from './types/OfferedScenario';
export type { Zoom } from './types/Zoom';
export type { BackupInfo } from './types/BackupInfo';
export type { CatalogueItem } from './types/CatalogueItem';
export type { Availability } from './types/Availability';
export type { Market } from './types/Market';
export type { UncomputedProgramme } from './types/UncomputedProgramme';
export type { Commune } from './types/Commune';
export type { RoleOption } from './types/RoleOption';
export type { SchoolKindOption } from './types/SchoolKindOption';
export type { StoreState } from './types/StoreState';
export type { SyncState } from './types/SyncState';
export type { AidLine } from './types/AidLine';
export type { Base } from './types/Base';
export type { Display } from './types/Display';
export type { EquipmentLine } from './types/EquipmentLine';
export type { FundingInfo } from './types/FundingInfo';
export type { IenStatus } from './types/IenStatus';
export type { Internet } from './types/Internet';
export type { KeyLabel } from './types/KeyLabel';
export type { LineView } from './types/LineView';
export type { Objective } from './types/Objective';
export type { PriceNotice } from './types/PriceNotice';
export type { Programme } from './types/Programme';
export type { ProgrammeInfo } from './types/ProgrammeInfo';
export type { RuleStatus } from './types/RuleStatus';
export type { VatLine } from './types/VatLine';
export type { Wifi } from './types/Wifi';
export type {
  ClassSituation,
  FundingPlan,
  LineInput,
  Pedagogy,
  Scenario,
  ScenarioView,
  SchoolSituation,
  Suggestion,
  Workflow,
  WorkflowOptions,
};
export type { Civility, DocumentSettings, DraftPatch, ProposalStatus, ProposalSummary };
export type { SyncConflict, SyncPhase, SyncStatus };
export type { FirstStart, WelcomePath };
export type { ErrorCode };
export { ERROR_CODES, isErrorCode } from './errorCodes';
export type { ReceivedReference } from './types/ReceivedReference';

/** The payload of `sync://progress`, sent while a sync runs. */
export interface SyncProgress {
  /** Orders progress and states (see `SyncStatus.seq`). */
  seq: number;
  phase: SyncPhase;
  done: number;
  total: number;
}

/** What « Exporter toutes les visites » wrote: one JSON file per visit in `dir`. */
export interface ExportedVisits {
  dir: string;
  count: number;
  files: string[];
}

/**
 * One edit the store has not acknowledged yet, as the shell keeps it in the journal file
 * (`src-tauri/src/journal.rs`). `call` is what `lib/saveCall.ts` calls `SaveCall`: the
 * shell keeps it as it is given.
 */
export interface JournalEntry<Call = unknown> {
  /** The record and field it edits; one entry per key. */
  key: string;
  visit_id: string;
  /** Orders the values of one key (greater is newer). */
  rev: number;
  call: Call;
  /** The last refusal, in French, once a save of it failed. */
  error: string | null;
  /** When the value was first journaled (ms since 1970). */
  since_ms: number;
}

/** The journal as the shell read it at start. */
export interface JournalState<Call = unknown> {
  /** The last write taken: the next write must carry a greater number. */
  generation: number;
  entries: JournalEntry<Call>[];
  /** Set when the file could not be read (it was set aside). */
  problem: string | null;
}

/** The error every command rejects with (`src-tauri/src/error.rs`). The UI decides on
 * `code` (and `field`), never on `message`, which is French text to show. */
export interface IpcError {
  code: ErrorCode;
  message: string;
  /** The input field a refusal is about (`invalid_input`, `invalid_enrollment_code`). */
  field?: string | null;
  details?: RowError[] | null;
}

/** A refused command, as an `Error` carrying the core's French message. */
export class ApiError extends Error implements IpcError {
  readonly code: ErrorCode;
  readonly field: string | null;
  readonly details: RowError[] | null;

  constructor(error: IpcError) {
    super(error.message);
    this.name = 'ApiError';
    this.code = error.code;
    this.field = error.field ?? null;
    this.details = error.details ?? null;
  }
}

/** A value refused by the UI before any call (a count that is not a number…), in the
 * shape of the core's refusals so it is shown and tracked the same way. */
export function invalidInput(field: string, message: string): IpcError {
  return { code: 'invalid_input', message, field };
}

function hasMessage(value: unknown): value is { code?: unknown; message: string; field?: unknown; details?: unknown } {
  return typeof value === 'object' && value !== null && typeof (value as IpcError).message === 'string';
}

/** Turns whatever a rejected `invoke` gave into an `ApiError`. */
export function toApiError(raw: unknown): ApiError {
  if (raw instanceof ApiError) return raw;
  if (!(raw instanceof Error) && hasMessage(raw)) {
    const field = typeof raw.field === 'string' ? raw.field : null;
    const details = Array.isArray(raw.details) ? (raw.details as RowError[]) : null;
    // A code this UI does not know cannot be acted on: it is an internal error, whose
    // message is still the shell's French text.
    const code = isErrorCode(raw.code) ? raw.code : 'internal';
    return new ApiError({ code, message: raw.message, field, details });
  }
  // Tauri itself rejects with a plain string (unknown command, arguments that do not
  // deserialize…); outside the app `invoke` throws a TypeError.
  const detail = raw instanceof Error ? raw.message : String(raw);
  return new ApiError({
    code: 'internal',
    message: `Erreur interne de Préau (${detail}).`,
  });
}

async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw toApiError(raw);
  }
}

/** Whether the page runs inside the Tauri shell (false in a plain browser). */
export function insideTauri(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

export const api = {
  appStatus: () => call<AppStatus>('app_status'),
  restoreBackup: (path: string) => call<AppStatus>('restore_backup', { path }),
  /** « Réessayer »: opens the store again if it is not open (a keyring unlocked since). */
  appReopen: () => call<AppStatus>('app_reopen'),
  /** The store's key is lost: sets the store aside (never deleted) and starts a new one. */
  storeStartOver: () => call<AppStatus>('store_start_over'),

  home: () => call<Home>('home'),

  /** Applies the zoom saved on this laptop (Ctrl + / − / 0). */
  zoomRestore: () => call<Zoom>('zoom_restore'),
  /** « Montrer au maire » on another screen: false when there is none. */
  presenterOpen: (visitId: string) => call<boolean>('presenter_open', { visitId }),
  presenterClose: () => call<void>('presenter_close'),
  /** Tells the presentation window what to show (it reads the visit again). */
  presenterUpdate: (visitId: string, scenarioId: string | null) =>
    call<void>('presenter_update', { visitId, scenarioId }),
  /** Saves and applies a zoom, in percent (50 to 300). */
  zoomSet: (percent: number) => call<Zoom>('zoom_set', { percent }),

  /** Whether this start shows the welcome of a new install, and what it shows. */
  firstStart: () => call<FirstStart>('first_start'),
  /** Records the path chosen in the welcome (it resumes there after a restart). */
  welcomeChoose: (path: WelcomePath) => call<FirstStart>('welcome_choose', { path }),
  /** Ends the welcome: the next starts open on the home screen. */
  welcomeDone: () => call<FirstStart>('welcome_done'),

  communesSearch: (query: string, limit: number) =>
    call<CommuneHit[]>('communes_search', { query, limit }),
  communeSheet: (insee: string) => call<CommuneSheet>('commune_sheet', { insee }),
  communeMap: () => call<CommuneMap>('commune_map'),
  communeNeighbourhood: (insee: string) => call<Neighbourhood>('commune_neighbourhood', { insee }),

  schoolSave: (input: SchoolInput) => call<School>('school_save', { input }),
  /** The directory file's bytes, sent raw (the core detects the encoding). */
  schoolsImport: (file: ArrayBuffer) => call<ImportReport>('schools_import', file),

  /** `scheduledAt`: "YYYY-MM-DDTHH:MM", local time. */
  visitCreate: (communeInsee: string, scheduledAt: string) =>
    call<Visit>('visit_create', { communeInsee, scheduledAt }),
  visitGet: (id: string) => call<Visit>('visit_get', { id }),
  visitsList: () => call<VisitSummary[]>('visits_list'),
  /** Every visit with its participants' names and its proposal's state today. */
  visitRows: () => call<VisitRow[]>('visit_rows'),
  visitUpdate: (id: string, patch: VisitPatch) => call<Visit>('visit_update', { id, patch }),

  /** The visit as a `preau-visit` JSON file (as `preau-cli visits export`), where the
   *  adviser chooses with the system's dialog; answers the path written, or null if cancelled. */
  visitExportSave: (id: string, path: string | null = null) =>
    call<string | null>('visit_export_save', { id, path }),
  /** One JSON file per visit into a folder picked with the system's dialog; null if cancelled. */
  visitsExportAll: (dir: string | null = null) => call<ExportedVisits | null>('visits_export_all', { dir }),

  /** Upsert by `participant.id`. */
  participantSave: (visitId: string, participant: Participant) =>
    call<Participant>('participant_save', { visitId, participant }),
  participantDelete: (visitId: string, id: string) =>
    call<void>('participant_delete', { visitId, id }),

  /** A fresh UUIDv7 from the core, for a record before its first save. */
  newId: () => call<string>('new_id'),

  labels: () => call<Labels>('labels'),
  /** Tells the shell the first screen is interactive (start-up benchmark). */
  uiReady: (screen: string) => call<void>('ui_ready', { screen }),
  catalogue: () => call<Catalogue>('catalogue'),

  /** Everything the visit stepper shows, with the funding plan of each scenario. */
  workflow: (visitId: string) => call<Workflow>('workflow', { visitId }),
  workflowOptions: () => call<WorkflowOptions>('workflow_options'),
  /** The whole project of one school; objectives carry ids from `newId`. */
  pedagogySave: (visitId: string, pedagogy: Pedagogy) =>
    call<Pedagogy>('pedagogy_save', { visitId, pedagogy }),
  /** Upsert by `class.id`. */
  classSave: (visitId: string, cls: ClassSituation) =>
    call<ClassSituation>('class_save', { visitId, class: cls }),
  classDelete: (visitId: string, id: string) => call<void>('class_delete', { visitId, id }),
  schoolSituationSave: (visitId: string, situation: SchoolSituation) =>
    call<SchoolSituation>('school_situation_save', { visitId, situation }),
  /** Adds the next scenario (A, then B, then C; a fourth is refused). */
  scenarioAdd: (visitId: string, title: string) => call<Scenario>('scenario_add', { visitId, title }),
  scenarioRename: (visitId: string, id: string, title: string) =>
    call<Scenario>('scenario_rename', { visitId, id, title }),
  scenarioDelete: (visitId: string, id: string) => call<void>('scenario_delete', { visitId, id }),
  /** Upsert by `line.id`; answers the line's scenario (lines and funding plan). */
  lineSave: (visitId: string, line: LineInput) => call<ScenarioView>('line_save', { visitId, line }),
  lineDelete: (visitId: string, scenarioId: string, id: string) =>
    call<ScenarioView>('line_delete', { visitId, scenarioId, id }),
  /** Takes the current catalogue price for a line (asked by the user, never silent). */
  lineReprice: (visitId: string, scenarioId: string, id: string) =>
    call<ScenarioView>('line_reprice', { visitId, scenarioId, id }),
  socleSuggestions: (visitId: string, scenarioId: string) =>
    call<Suggestion[]>('socle_suggestions', { visitId, scenarioId }),

  /** The visit's proposals, newest revision first (its draft, if any, among them). */
  proposalsList: (visitId: string) => call<ProposalSummary[]>('proposals_list', { visitId }),
  /** The visit's draft, made if there is none (after an issue: the next revision). */
  proposalDraft: (visitId: string) => call<ProposalSummary>('proposal_draft', { visitId }),
  proposalUpdate: (id: string, patch: DraftPatch) => call<ProposalSummary>('proposal_update', { id, patch }),
  /** Numbers the draft and freezes its content and PDF; it can no longer change. */
  proposalIssue: (id: string) => call<ProposalSummary>('proposal_issue', { id }),
  /** « Acceptée »: which scenario (may be null when it shows one) and the deliberation date. */
  proposalAccept: (id: string, acceptance: Acceptance) =>
    call<ProposalSummary>('proposal_accept', { id, acceptance }),
  proposalRefuse: (id: string) => call<ProposalSummary>('proposal_refuse', { id }),
  /** Writes the PDF (a draft marked « PROJET ») and opens it; answers the file's path. */
  proposalOpen: (id: string) => call<string>('proposal_open', { id }),
  /** Asks where with the system's dialog; answers the path written, or null if cancelled. */
  proposalSave: (id: string, path: string | null = null) => call<string | null>('proposal_save', { id, path }),
  /** Sends the PDF to the default printer (CUPS); answers the printer's message. */
  proposalPrint: (id: string) => call<string>('proposal_print', { id }),
  /** The pedagogical project sheet of each school, for the IEN, opened in the viewer. */
  projectSheetsOpen: (id: string) => call<string>('project_sheets_open', { id }),

  documentSettings: () => call<DocumentSettings>('document_settings'),
  documentSettingsSave: (settings: DocumentSettings) =>
    call<DocumentSettings>('document_settings_save', { settings }),
  /** The letterhead logo's PNG bytes, or null when there is none. */
  logoPng: () => call<number[] | null>('logo_png'),
  /** A PNG file's bytes, or null to remove the logo; answers the settings. */
  logoSet: (bytes: number[] | null) => call<DocumentSettings>('logo_set', { bytes }),

  /** The journal of edits not yet acknowledged by the store, as written last. */
  journalRead: () => call<JournalState>('journal_read'),
  /** Replaces the journal (a file beside the store, written whole); `generation` orders writes. */
  journalWrite: (generation: number, entries: JournalEntry[]) =>
    call<void>('journal_write', { generation, entries }),

  /** Enrollment, changes waiting, conflicts, and what the background sync is doing. */
  syncStatus: () => call<SyncStatus>('sync_status'),
  /** Enrolls this laptop with the server's address and a one-time code, then syncs. */
  syncEnroll: (url: string, code: string) => call<SyncStatus>('sync_enroll', { url, code }),
  /** Starts a sync in the background; answers at once (progress comes as events). */
  syncNow: () => call<SyncStatus>('sync_now'),
  syncConflicts: () => call<SyncConflict[]>('sync_conflicts'),
  /** Keeps one value of a field in conflict; answers the conflicts left. */
  syncConflictResolve: (conflict: SyncConflict, keepRemote: boolean) =>
    call<SyncConflict[]>('sync_conflict_resolve', {
      table: conflict.table,
      recordId: conflict.record_id,
      field: conflict.field,
      revision: conflict.revision,
      keepRemote,
    }),
};

/** What the main window tells the presentation window on a second screen. */
export interface PresenterUpdate {
  visitId: string;
  /** The scenario shown; null: the first. */
  scenarioId: string | null;
}


/** The presentation window hears the main window; answers the unsubscribe. */
export async function onPresenterUpdate(handler: (update: PresenterUpdate) => void): Promise<() => void> {
  if (!insideTauri()) return () => {};
  return listen<PresenterUpdate>('presentation://update', (event) => handler(event.payload));
}

/**
 * Listens to the background sync: `onStatus` gets the whole state after each change,
 * `onProgress` the phase and n / total while a sync runs. Answers the unsubscribe.
 */
export async function onSyncEvents(
  onStatus: (status: SyncStatus) => void,
  onProgress: (progress: SyncProgress) => void,
): Promise<() => void> {
  if (!insideTauri()) return () => {};
  const stops = await Promise.all([
    listen<SyncStatus>('sync://status', (event) => onStatus(event.payload)),
    listen<SyncProgress>('sync://progress', (event) => onProgress(event.payload)),
  ]);
  return () => stops.forEach((stop) => stop());
}

let labelsCache: Promise<Labels> | null = null;

/** The labels never change while the app runs: fetched once. */
export function labels(): Promise<Labels> {
  if (!labelsCache) {
    labelsCache = api.labels().catch((error: unknown) => {
      labelsCache = null;
      throw error;
    });
  }
  return labelsCache;
}

/** Runs `beforeClose` (e.g. saving pending edits) before the window closes. */
export async function onWindowClose(beforeClose: () => Promise<void>): Promise<void> {
  if (!insideTauri()) return;
  await getCurrentWindow().onCloseRequested(async () => {
    await beforeClose();
  });
}
