/** The last part of an ARN (`…/task/cluster/<id>` → `<id>`, `…:task-definition/family:3` → `family:3`). */
export const arnId = (arn: string | undefined): string => (arn ?? '').split('/').pop() ?? '';
