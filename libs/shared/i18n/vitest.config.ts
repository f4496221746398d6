import { defineProject } from 'vitest/config';
import { projectTestConfig } from '../../../vitest.shared.ts';

export default defineProject(projectTestConfig('@strongbox/shared-i18n'));
