import { beforeEach, describe, expect, it, vi } from 'vitest';

// The wrappers only name a command and its arguments: a typo there is an error at run
// time only (Tauri answers "missing required key"), so each one is checked here.
const invoke = vi.fn();
vi.mock('@tauri-apps/api/core', () => ({ invoke: (...args: unknown[]) => invoke(...args) }));
vi.mock('@tauri-apps/api/window', () => ({ getCurrentWindow: () => ({}) }));

const { api } = await import('./index');

const pedagogy = {
  school_id: 's1',
  objectives: [{ id: 'o1', label: 'Lire' }],
  cycles: [2],
  uses: [],
  crcn: [],
  training_needs: '',
  ien_status: 'a_soumettre' as const,
  ien_date: null,
  ien_comment: '',
};
const cls = { id: 'c1', school_id: 's1', name: 'CP', pupils: 22, display: 'aucun' as const, teacher_computer: false };
const situation = {
  school_id: 's1',
  mobile_devices: 0,
  mobile_charging: false,
  wifi: 'aucun' as const,
  wifi_switchable: false,
  internet: 'adsl' as const,
  ent: null,
};
const line = {
  id: 'l1',
  scenario_id: 'sc1',
  school_id: 's1',
  class_id: null,
  reference: 'ENI65',
  quantity: '2',
  objective_ids: ['o1'],
};

const cases: [string, () => Promise<unknown>, string, Record<string, unknown> | undefined][] = [
  ['communeMap', () => api.communeMap(), 'commune_map', undefined],
  ['communeNeighbourhood', () => api.communeNeighbourhood('80620'), 'commune_neighbourhood', { insee: '80620' }],
  ['workflow', () => api.workflow('v1'), 'workflow', { visitId: 'v1' }],
  ['workflowOptions', () => api.workflowOptions(), 'workflow_options', undefined],
  ['pedagogySave', () => api.pedagogySave('v1', pedagogy), 'pedagogy_save', { visitId: 'v1', pedagogy }],
  ['classSave', () => api.classSave('v1', cls), 'class_save', { visitId: 'v1', class: cls }],
  ['classDelete', () => api.classDelete('v1', 'c1'), 'class_delete', { visitId: 'v1', id: 'c1' }],
  ['schoolSituationSave', () => api.schoolSituationSave('v1', situation), 'school_situation_save', { visitId: 'v1', situation }],
  ['scenarioAdd', () => api.scenarioAdd('v1', ''), 'scenario_add', { visitId: 'v1', title: '' }],
  ['scenarioRename', () => api.scenarioRename('v1', 'sc1', 'B'), 'scenario_rename', { visitId: 'v1', id: 'sc1', title: 'B' }],
  ['scenarioDelete', () => api.scenarioDelete('v1', 'sc1'), 'scenario_delete', { visitId: 'v1', id: 'sc1' }],
  ['lineSave', () => api.lineSave('v1', line), 'line_save', { visitId: 'v1', line }],
  ['lineDelete', () => api.lineDelete('v1', 'sc1', 'l1'), 'line_delete', { visitId: 'v1', scenarioId: 'sc1', id: 'l1' }],
  ['lineReprice', () => api.lineReprice('v1', 'sc1', 'l1'), 'line_reprice', { visitId: 'v1', scenarioId: 'sc1', id: 'l1' }],
  ['socleSuggestions', () => api.socleSuggestions('v1', 'sc1'), 'socle_suggestions', { visitId: 'v1', scenarioId: 'sc1' }],
  ['visitRows', () => api.visitRows(), 'visit_rows', undefined],
  ['zoomRestore', () => api.zoomRestore(), 'zoom_restore', undefined],
  ['zoomSet', () => api.zoomSet(125), 'zoom_set', { percent: 125 }],
  ['presenterOpen', () => api.presenterOpen('v1'), 'presenter_open', { visitId: 'v1' }],
  ['presenterClose', () => api.presenterClose(), 'presenter_close', undefined],
  ['presenterUpdate', () => api.presenterUpdate('v1', 's1'), 'presenter_update', { visitId: 'v1', scenarioId: 's1' }],
];

describe('workflow command wrappers', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue('ok');
  });

  it.each(cases)('%s calls %s with camelCase arguments', async (_name, call, command, args) => {
    await expect(call()).resolves.toBe('ok');
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith(command, args);
  });

  it('turns a refusal of the core into an ApiError with its field', async () => {
    invoke.mockRejectedValue({ code: 'invalid_input', message: 'La quantité doit être d’au moins 1.', field: 'quantity' });
    await expect(api.lineSave('v1', { ...line, quantity: '0' })).rejects.toMatchObject({
      name: 'ApiError',
      field: 'quantity',
      message: 'La quantité doit être d’au moins 1.',
    });
  });
});

const settings = {
  organisation: 'Somme Numérique',
  address_lines: ['1 rue de la Paix', '80000 Amiens'],
  phone: '',
  email: '',
  website: '',
  place: 'Amiens',
  adviser_name: '',
  adviser_title: '',
  adviser_phone: '',
  adviser_email: '',
  has_logo: false,
  accent: '#1d4e89',
};

const proposalCases: [string, () => Promise<unknown>, string, Record<string, unknown> | undefined][] = [
  ['proposalsList', () => api.proposalsList('v1'), 'proposals_list', { visitId: 'v1' }],
  ['proposalDraft', () => api.proposalDraft('v1'), 'proposal_draft', { visitId: 'v1' }],
  ['proposalUpdate', () => api.proposalUpdate('p1', { civility: 'madame' }), 'proposal_update', { id: 'p1', patch: { civility: 'madame' } }],
  ['proposalIssue', () => api.proposalIssue('p1'), 'proposal_issue', { id: 'p1' }],
  [
    'proposalAccept',
    () => api.proposalAccept('p1', { scenario_id: 's2', deliberated_on: '2027-01-12' }),
    'proposal_accept',
    { id: 'p1', acceptance: { scenario_id: 's2', deliberated_on: '2027-01-12' } },
  ],
  ['proposalRefuse', () => api.proposalRefuse('p1'), 'proposal_refuse', { id: 'p1' }],
  ['proposalOpen', () => api.proposalOpen('p1'), 'proposal_open', { id: 'p1' }],
  ['proposalSave', () => api.proposalSave('p1'), 'proposal_save', { id: 'p1', path: null }],
  ['proposalSave with a path', () => api.proposalSave('p1', '/tmp/x.pdf'), 'proposal_save', { id: 'p1', path: '/tmp/x.pdf' }],
  ['proposalPrint', () => api.proposalPrint('p1'), 'proposal_print', { id: 'p1' }],
  ['projectSheetsOpen', () => api.projectSheetsOpen('p1'), 'project_sheets_open', { id: 'p1' }],
  ['documentSettings', () => api.documentSettings(), 'document_settings', undefined],
  ['documentSettingsSave', () => api.documentSettingsSave(settings), 'document_settings_save', { settings }],
  ['logoSet', () => api.logoSet([137, 80]), 'logo_set', { bytes: [137, 80] }],
  ['logoPng', () => api.logoPng(), 'logo_png', undefined],
  ['logoSet null', () => api.logoSet(null), 'logo_set', { bytes: null }],
];

describe('proposal and settings command wrappers', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue('ok');
  });

  it.each(proposalCases)('%s calls %s with camelCase arguments', async (_name, call, command, args) => {
    await expect(call()).resolves.toBe('ok');
    expect(invoke).toHaveBeenCalledWith(command, args);
  });
});

const conflict = {
  table: 'visits',
  record_id: 'v1',
  field: 'notes',
  record_label: 'Visite à Péronne du 3 décembre 2026',
  field_label: 'Notes',
  local_text: 'A',
  other_text: 'B',
  other_is_mine: false,
  record_deleted: false,
  revision: 11,
};

const syncCases: [string, () => Promise<unknown>, string, Record<string, unknown> | undefined][] = [
  ['syncStatus', () => api.syncStatus(), 'sync_status', undefined],
  ['syncEnroll', () => api.syncEnroll('https://s.fr', 'ABCD'), 'sync_enroll', { url: 'https://s.fr', code: 'ABCD' }],
  ['syncNow', () => api.syncNow(), 'sync_now', undefined],
  ['syncConflicts', () => api.syncConflicts(), 'sync_conflicts', undefined],
  ['firstStart', () => api.firstStart(), 'first_start', undefined],
  ['appReopen', () => api.appReopen(), 'app_reopen', undefined],
  ['storeStartOver', () => api.storeStartOver(), 'store_start_over', undefined],
  ['welcomeChoose', () => api.welcomeChoose('offline'), 'welcome_choose', { path: 'offline' }],
  ['welcomeDone', () => api.welcomeDone(), 'welcome_done', undefined],
  ['visitExportSave', () => api.visitExportSave('v1'), 'visit_export_save', { id: 'v1', path: null }],
  ['visitExportSave with a path', () => api.visitExportSave('v1', '/tmp/v.json'), 'visit_export_save', { id: 'v1', path: '/tmp/v.json' }],
  ['visitsExportAll', () => api.visitsExportAll(), 'visits_export_all', { dir: null }],
  ['visitsExportAll with a folder', () => api.visitsExportAll('/tmp/x'), 'visits_export_all', { dir: '/tmp/x' }],
  [
    'syncConflictResolve',
    () => api.syncConflictResolve(conflict, true),
    'sync_conflict_resolve',
    { table: 'visits', recordId: 'v1', field: 'notes', revision: 11, keepRemote: true },
  ],
];

describe('sync command wrappers', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue('ok');
  });

  it.each(syncCases)('%s calls %s with camelCase arguments', async (_name, call, command, args) => {
    await expect(call()).resolves.toBe('ok');
    expect(invoke).toHaveBeenCalledWith(command, args);
  });
});

const entry = {
  key: 'v1/notes',
  visit_id: 'v1',
  rev: 5,
  call: { command: 'visit_update', visitId: 'v1', patch: { notes: 'n' } },
  error: null,
  since_ms: 1,
};

describe('journal command wrappers', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue('ok');
  });

  it('journalRead and journalWrite name their commands and arguments', async () => {
    await api.journalRead();
    expect(invoke).toHaveBeenLastCalledWith('journal_read', undefined);
    await api.journalWrite(7, [entry]);
    expect(invoke).toHaveBeenLastCalledWith('journal_write', { generation: 7, entries: [entry] });
  });
});

const { performSave, isSaveCall } = await import('../lib/saveCall');
type SaveCall = import('../lib/saveCall').SaveCall;

// A journaled edit is replayed through `performSave`: each kind must reach the same
// command, with the same arguments, as the saver that journaled it.
const participant = { id: 'p1', name: 'Marie Dupont', role: 'maire' as const, phone: null, email: null };
const replayCases: [SaveCall, string, Record<string, unknown>][] = [
  [{ command: 'visit_update', visitId: 'v1', patch: { notes: 'n' } }, 'visit_update', { id: 'v1', patch: { notes: 'n' } }],
  [{ command: 'participant_save', visitId: 'v1', participant }, 'participant_save', { visitId: 'v1', participant }],
  [{ command: 'pedagogy_save', visitId: 'v1', pedagogy }, 'pedagogy_save', { visitId: 'v1', pedagogy }],
  [{ command: 'class_save', visitId: 'v1', class: cls }, 'class_save', { visitId: 'v1', class: cls }],
  [{ command: 'school_situation_save', visitId: 'v1', situation }, 'school_situation_save', { visitId: 'v1', situation }],
  [{ command: 'scenario_rename', visitId: 'v1', id: 'sc1', title: 'B' }, 'scenario_rename', { visitId: 'v1', id: 'sc1', title: 'B' }],
  [{ command: 'line_save', visitId: 'v1', line }, 'line_save', { visitId: 'v1', line }],
];

describe('journaled saves', () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue('ok');
  });

  it.each(replayCases)('%j is replayed as %s', async (saveCall, command, args) => {
    expect(isSaveCall(JSON.parse(JSON.stringify(saveCall)))).toBe(true);
    await performSave(saveCall);
    expect(invoke).toHaveBeenCalledWith(command, args);
  });

  it('a journal entry of another shape is not taken for a save', () => {
    expect(isSaveCall({ command: 'line_delete', visitId: 'v1', id: 'l1' })).toBe(false);
    expect(isSaveCall({ command: 'line_save', line: {} })).toBe(false);
    expect(isSaveCall(null)).toBe(false);
  });
});
