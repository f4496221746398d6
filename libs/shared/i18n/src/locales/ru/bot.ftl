# Экраны и диалоги бота (bot-gateway). Суммы приходят уже отформатированными («12.5»), не числами.

## Старт, язык, меню
start-welcome = Добро пожаловать в Strongbox, { $name }! Ваш кошелёк открывается; меню ниже.
start-welcome-back = С возвращением, { $name }!
start-recovery-code =
    Ваш код восстановления: { $code }
    Запишите его и никому не показывайте. Если потеряете доступ к этому аккаунту Telegram, отправьте /recover с этим кодом из нового аккаунта. Код показывается только один раз.
language-choose = Выберите язык:
language-changed = Язык: русский.
menu-title = Что вы хотите сделать?
menu-balance = 💰 Баланс
menu-deposit = 📥 Пополнить
menu-withdraw = 📤 Вывести
menu-transfer = 🔁 Перевести пользователю
menu-plans = 📈 Накопительные планы
menu-referral = 🎁 Пригласить друзей
menu-support = 🛟 Поддержка
menu-language = 🌐 Язык
menu-back = ⬅️ Меню
menu-command-start = Открыть кошелёк
menu-command-menu = Главное меню
menu-command-balance = Баланс и история
menu-command-deposit = Адрес для пополнения
menu-command-withdraw = Вывод средств
menu-command-transfer = Перевод на другой кошелёк
menu-command-plans = Накопительные планы
menu-command-referral = Пригласить друзей
menu-command-support = Поддержка
menu-command-recover = Восстановить аккаунт
menu-command-recovery-code = Новый код восстановления
menu-command-language = Сменить язык

## Отказы и работа в ограниченном режиме
blacklisted = Ваш аккаунт ограничен. Если это ошибка, напишите в поддержку: /support.
not-registered = Сначала отправьте /start, чтобы открыть кошелёк.
service-degraded = Идут технические работы. Ваш запрос сохранён и будет выполнен, как только сервис восстановится; повторять его не нужно.
withdraw-maintenance = Вывод временно приостановлен: идёт обслуживание подключения к блокчейну. Ваши средства в сохранности; попробуйте позже.
withdraw-emergency-stop = Все исходящие платежи остановлены для проверки безопасности. Ваши средства в сохранности; попробуйте позже.
action-cancelled = Отменено. Ничего не изменилось.
dialog-expired = Этот диалог устарел. Начните заново из меню.

## Баланс и история
balance-title = Ваш баланс
balance-line = { $asset }: доступно { $available }, в планах и ожидающих выводах { $locked }
history-title = История, страница { $page }
history-empty = Операций пока нет.
history-line = { $date } · { $kind } · { $sign }{ $amount } { $asset }
history-kind-deposit = пополнение
history-kind-deposit_reversal = отмена пополнения
history-kind-withdrawal = вывод
history-kind-withdrawal_fee = комиссия за вывод
history-kind-internal_transfer = перевод
history-kind-manual_adjustment = корректировка
history-kind-plan_open = открытие плана
history-kind-plan_accrual = проценты по плану
history-kind-plan_maturity = возврат по плану
history-kind-referral_reward = реферальная награда
history-next = Раньше ▶️
history-previous = ◀️ Позже

## Пополнение
deposit-address =
    Отправьте { $asset } в сети { $chainId } на этот адрес:
    { $address }
    Зачисляется только { $asset }, отправленный на этот адрес, после { $confirmations } подтверждений.
deposit-address-pending = Адрес для пополнения ещё готовится. Попробуйте через минуту.
deposit-qr-caption = Адрес для пополнения: { $address }
deposit-claim = 🔎 Я отправил пополнение
deposit-claim-ask = Отправьте хеш транзакции (0x и 64 шестнадцатеричные цифры).
deposit-claim-confirmed = Это пополнение подтверждено и зачислено.
deposit-claim-awaiting = Транзакция в сети; ждём подтверждений. Вы получите сообщение, когда средства будут зачислены.
deposit-claim-pending-network = Сеть сейчас недоступна. Ваша заявка сохранена и будет проверена, как только сеть восстановится.
deposit-claim-not-found = Пока не найдено. Мы продолжаем проверять эту транзакцию и сообщим, когда она придёт.
deposit-claim-dust = Сумма меньше минимального пополнения и не зачисляется.

## Вывод
withdraw-ask-amount = Сколько { $asset } вывести? Доступно: { $available } { $asset }. Лимиты: от { $min } до { $max } за один вывод.
withdraw-ask-address = Отправьте адрес для вывода (0x…).
withdraw-confirm =
    Проверьте вывод:
    Сумма: { $amount } { $asset }
    Комиссия: { $fee } { $asset }
    Всего спишется: { $total } { $asset }
    Куда: { $address }
    Лимиты: от { $min } до { $max } за вывод, { $daily } за 24 часа.
withdraw-confirm-button = ✅ Подтвердить
withdraw-cancel-button = ✖️ Отмена
withdraw-requested = Вывод принят: { $amount } { $asset } на { $address }. Мы сообщим о каждом шаге.
withdraw-awaiting-approval = Вывод принят: { $amount } { $asset }. Перед отправкой нужна ручная проверка; мы пришлём сообщение.
withdraw-insufficient = Недостаточно средств: доступно { $available } { $asset }, с комиссией нужно { $total } { $asset }.
withdraw-below-minimum = Минимальная сумма вывода — { $min } { $asset }.
withdraw-above-maximum = Максимальная сумма вывода — { $max } { $asset }.
withdraw-daily-limit = Это превысит ваш лимит за 24 часа: { $daily } { $asset }.
withdraw-refused = Вывод отклонён. Пожалуйста, обратитесь в поддержку: /support.

## Перевод внутри кошелька
transfer-ask-recipient = Отправьте код кошелька получателя (он есть у него в разделе «Пригласить друзей»).
transfer-recipient-unknown = Кошелька с таким кодом нет. Проверьте код и отправьте снова.
transfer-recipient-self = Это ваш собственный кошелёк.
transfer-ask-amount = Сколько { $asset } отправить? Доступно: { $available } { $asset }.
transfer-confirm = Отправить { $amount } { $asset } на кошелёк { $recipient }?
transfer-done = Отправлено { $amount } { $asset } на кошелёк { $recipient }.
transfer-recipient-empty = Отправьте код кошелька получателя.
transfer-recipient-format = Код кошелька — 9 символов: латинские буквы, цифры, «-» или «_», например Ab3-x_9Qz.
transfer-insufficient = Недостаточно средств: доступно { $available } { $asset }.
transfer-emergency-stop = Переводы сейчас остановлены ради безопасности. Ваши средства в сохранности; попробуйте позже.
transfer-refused = Перевод отклонён. Пожалуйста, обратитесь в поддержку: /support.

## Планы
plans-title = Накопительные планы
plans-empty = Сейчас нет планов, открытых для новых вкладов.
plans-line = { $name }: { $rate }% годовых на { $days } дн., от { $min } до { $max } { $asset }
plans-disabled-until = { $name } приостановлен до { $until }.
plans-open-button = Открыть { $name }
plans-ask-amount = Сколько { $asset } вложить в { $name }? Доступно: { $available } { $asset }.
plans-opened = План { $name } открыт на { $amount } { $asset }. Срок окончания: { $maturity }.
plans-my-title = Ваши вклады
plans-my-line = { $name }: { $amount } { $asset }, начислено { $accrued } { $asset }, до { $maturity }
plans-my-empty = У вас нет вкладов.
plans-my-button = Мои вклады
plans-my-line-matured = { $name }: { $amount } { $asset } возвращено { $maturity }, начислено { $accrued } { $asset }
plans-amount-limit = { $name } принимает от { $min } до { $max } { $asset }.
plans-insufficient = Недостаточно средств: доступно { $available } { $asset }.
plans-confirm = Вложить { $amount } { $asset } в { $name } под { $rate }% годовых на { $days } дн.? Деньги будут заблокированы до конца срока.
plans-terms-changed = Условия { $name } изменились. Откройте планы снова, чтобы увидеть текущие.

## Рефералы
referral-info =
    Приглашайте друзей по вашей ссылке:
    { $link }
    Вы получите { $reward } { $asset }, когда будет зачислено первое пополнение приглашённого друга.
    Код вашего кошелька: { $code }
referral-stats = Приглашено друзей: { $invited }. Получено наград: { $rewards }.
referral-info-no-reward =
    Приглашайте друзей по вашей ссылке:
    { $link }
    Код вашего кошелька: { $code }
referral-no-code = У вашего кошелька ещё нет кода. Пожалуйста, обратитесь в поддержку: /support.

## Поддержка
support-menu = Поддержка
support-new = ✉️ Новое обращение
support-list = 📋 Мои обращения
support-ask-category = С чем связан вопрос?
support-category-deposit = Пополнение
support-category-withdrawal = Вывод
support-category-account = Аккаунт
support-category-other = Другое
support-ask-description = Опишите проблему в нескольких предложениях (от 10 до 2000 символов).
support-ask-contact = Как ещё с вами связаться (e-mail или телефон)? Отправьте «-», чтобы пропустить.
support-created = Обращение №{ $number } создано. Мы ответим вам здесь.
support-list-empty = У вас нет обращений.
support-list-line = №{ $number } · { $category } · { $status }
support-cancel-button = Отменить №{ $number }
support-status-new = новое
support-status-in_progress = в работе
support-status-resolved = решено
support-status-closed = закрыто
support-status-cancelled = отменено
support-cancelled = Обращение №{ $number } отменено.
support-cannot-cancel = Обращение №{ $number } уже нельзя отменить.
support-choose-category = Выберите категорию кнопками выше.
support-description-invalid = Описание должно быть обычным текстом длиной от { $min } до { $max } символов.
support-contact-invalid = Контакт должен быть обычным текстом длиной от { $min } до { $max } символов, или «-», чтобы пропустить.

## Восстановление аккаунта
recover-ask-code = Отправьте код восстановления (16 символов, например ABCD-EFGH-JKMN-PQRS).
recover-requested = Заявка принята. Администратор проверит её; вы получите сообщение с решением.
recover-code-invalid = Этот код восстановления недействителен.
recover-already-registered = У этого аккаунта Telegram уже есть кошелёк; восстановить кошелёк можно только на новый аккаунт.
recover-conflict = Восстановление этого кошелька уже запросил другой аккаунт.
recovery-code-new = Ваш новый код восстановления: { $code }. Старый больше не действует. Код показывается только один раз.
recovery-code-confirm = Новый код восстановления заменит текущий, и тот перестанет действовать. Продолжить?
recovery-code-confirm-button = 🔑 Новый код

## Ошибки ввода
input-too-long = Слишком длинно: не больше { $max } символов.
input-amount-empty = Отправьте сумму, например 12.5
input-amount-negative = Сумма должна быть положительной.
input-amount-zero = Сумма должна быть больше нуля.
input-amount-decimals = Для { $asset } не больше { $decimals } знаков после точки.
input-amount-too-large = Слишком большая сумма.
input-amount-exponent = Напишите число полностью, например 1000, а не 1e3.
input-amount-comma = Дробную часть отделяйте точкой, без разделителей тысяч, например 1000.5
input-amount-digits = Используйте цифры 0-9, например 12.5
input-amount-spaces = Напишите число без пробелов, например 1000
input-amount-not-number = Это не сумма. Отправьте число, например 12.5
input-address-empty = Отправьте адрес.
input-address-format = Адрес — это 0x и 40 шестнадцатеричных цифр.
input-address-checksum = У адреса неверная контрольная сумма — вероятно, опечатка. Скопируйте его заново.
input-address-zero = На этот адрес средства сгорят; укажите другой.
input-tx-hash-empty = Отправьте хеш транзакции.
input-tx-hash-format = Хеш транзакции — это 0x и 64 шестнадцатеричные цифры.
input-text-invalid = Отправьте обычный текст допустимой длины.
input-expected-text = Пожалуйста, ответьте текстовым сообщением.
