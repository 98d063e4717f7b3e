import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { onWindowClose } from './api';
import { flushAll } from './lib/autosave';
import { journal } from './lib/journal.svelte';

// Edits typed in the last instant (still in their debounce) are saved before closing, and
// the journal keeps on disk whatever could not be.
void onWindowClose(async () => {
  await flushAll();
  await journal.written();
});

const target = document.getElementById('app');
if (!target) throw new Error('#app introuvable');

export default mount(App, { target });
