import { mount } from 'svelte';
import './app.css';
import App from './App.svelte';
import { onWindowClose } from './api';
import { flushAll } from './lib/autosave';

// Edits typed in the last instant (still in their debounce) are saved before closing.
void onWindowClose(flushAll);

const target = document.getElementById('app');
if (!target) throw new Error('#app introuvable');

export default mount(App, { target });
