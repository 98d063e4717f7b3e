import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { onWindowClose } from './api';
import { flushAll } from './lib/autosave';
import { journal } from './lib/journal.svelte';
import PresenterWindow from './screens/PresenterWindow.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('#app introuvable');

// The presentation window on a second screen is started with the visit it shows
// (`commands/presenter.rs`): it only reads, and has no journal, welcome or rail.
const presenter = (window as { __PREAU_PRESENTER__?: unknown }).__PREAU_PRESENTER__;

if (typeof presenter !== 'string') {
  // Edits typed in the last instant (still in their debounce) are saved before closing,
  // and the journal keeps on disk whatever could not be.
  void onWindowClose(async () => {
    await flushAll();
    await journal.written();
  });
}

export default typeof presenter === 'string'
  ? mount(PresenterWindow, { target, props: { visitId: presenter } })
  : mount(App, { target });
