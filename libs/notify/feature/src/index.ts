export { startNotifier, type NotifierConfig } from './notifier.service';
export { notifierContentEnv, type NotifierContentConfig } from './content.config';
export { startNotifierContent } from './content.service';
export { createTexts, Templates, type Template, type Texts } from './texts';
export { renderText, type Piece, type RenderedText } from './render';
export { formatMoney, parseAssetDecimals, type AssetBook } from './assets';
export { startDelivery, type DeliveryContext, type DeliveryOptions, type DeliveryWorker } from './delivery/delivery.worker';
export { deliveryEnv, deliveryOptionsFromConfig, type DeliveryEnv } from './delivery/delivery.config';
export { createGlobalRateLimiter, type GlobalRateLimiter, type GlobalRateLimiterOptions, type RateLimiterMode } from './delivery/rate.limiter';
