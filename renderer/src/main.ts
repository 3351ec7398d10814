// First: the style nonce must be in place before any component mounts its styles.
import { applyStyleNonce } from './csp-nonce';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { mendCardHeadings } from './a11y';
import { setApiClient } from './api/client';
import { createClient } from './api/transport';
import { useAccessStore } from './stores/access';
import './styles.css';

applyStyleNonce();
const pinia = createPinia();
const access = useAccessStore(pinia);
setApiClient(createClient(window, (error) => access.refuse(error)));
createApp(App).use(pinia).mount('#app');
mendCardHeadings(document);
