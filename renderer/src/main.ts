import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { mendCardHeadings } from './a11y';
import { setApiClient } from './api/client';
import { createClient } from './api/transport';
import './styles.css';

setApiClient(createClient());
createApp(App).use(createPinia()).mount('#app');
mendCardHeadings(document);
