export { scheduleCheckins, checkinSmsText, type ScheduleCheckinsOptions, type CheckinScheduler, type CheckinLink } from './scheduler.js';
export { plannedSlots, loadCheckinPlans, saveCheckinPlan, type CheckinPlan, type PlannedSlot, type StoredPlan } from './plan.js';
export { issueCheckin, type CheckinRequest, type IssuedCheckin, type IssueInput } from './requests.js';
export { createCheckinService, type CheckinService, type CheckinServiceOptions, type CheckinUpload, type CheckinAnswer, type CheckinStatus } from './service.js';
export { signCheckinToken, verifyCheckinToken } from './token.js';
export { CheckinError, type CheckinErrorCode } from './errors.js';
export { checkinPublicRoutes, type CheckinPublicRoutesOptions } from '../routes/checkin-public.js';
export { checkinRequestRoutes, type CheckinRequestRoutesOptions } from '../routes/checkin-requests.js';
