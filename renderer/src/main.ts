// First: the style nonce must be in place before any component mounts its styles.
import { applyStyleNonce } from './csp-nonce';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { mendCardHeadings } from './a11y';
import { setApiClient } from './api/client';
import { createClient } from './api/transport';
import './styles.css';

applyStyleNonce();
setApiClient(createClient());
createApp(App).use(createPinia()).mount('#app');
mendCardHeadings(document);
