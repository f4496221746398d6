export { startNotifier, type NotifierConfig } from './notifier.service';
export { render, templates, type TemplateName } from './templates';
