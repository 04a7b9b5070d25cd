// Every string the console shows, in Vietnamese (the default) and English. The choice is kept
// in localStorage 'kbnn.lang'. Texts that come from the API (error messages, step and procedure
// names) are shown as the API sends them: Vietnamese, with the English name where it has one.
const STRINGS = {
  vi: {
    skip: 'Bỏ qua, tới nội dung chính', brand: 'Kho bạc Nhà nước', service: 'Dịch vụ công trực tuyến',
    signOut: 'Đăng xuất', langToggle: 'EN', langName: 'English',
    nav: 'Chức năng', loading: 'Đang tải…', refresh: 'Làm mới', back: 'Quay lại', none: '—',
    // sign-in
    signInTitle: 'Đăng nhập', username: 'Tên đăng nhập', password: 'Mật khẩu', signIn: 'Đăng nhập',
    signedInAs: 'Người dùng', sessionExpired: 'Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.',
    // navigation
    navUnitDossiers: 'Hồ sơ của đơn vị', navSubmit: 'Lập hồ sơ', navStatements: 'Đối chiếu số dư', navAdvances: 'Tạm ứng',
    navAlerts: 'Cảnh báo rủi ro', navInbox: 'Hồ sơ cần xử lý', navApprovals: 'Phê duyệt',
    navDashboard: 'Báo cáo điều hành', navOverdue: 'Hồ sơ quá hạn',
    // roles
    role_unit_accountant: 'Kế toán', role_chief_accountant: 'Kế toán trưởng',
    role_account_holder: 'Chủ tài khoản', role_unit_software: 'Phần mềm kế toán',
    role_control_officer: 'Cán bộ kiểm soát chi', role_leader: 'Lãnh đạo', role_portal: 'Cổng DVC quốc gia',
    // statuses
    status_under_review: 'Đang kiểm soát', status_awaiting_supplement: 'Chờ bổ sung',
    status_awaiting_approval: 'Chờ lãnh đạo phê duyệt', status_posting: 'Đang hạch toán',
    status_paid: 'Đã thanh toán', status_recorded: 'Đã ghi nhận', status_refused: 'Từ chối',
    status_activating: 'Đang kích hoạt', status_registered: 'Đã đăng ký', status_closed: 'Đã tất toán',
    status_reconciled: 'Khớp đúng', status_not_reconciled: 'Không khớp',
    status_issued: 'Chờ đơn vị xác nhận', status_confirmed: 'Đã xác nhận khớp', status_disputed: 'Có chênh lệch',
    status_resolved: 'Đã giải quyết chênh lệch',
    action_submitted: 'Nộp hồ sơ', action_resubmitted: 'Nộp hồ sơ bổ sung', action_accept: 'Tiếp nhận',
    action_request_supplement: 'Yêu cầu bổ sung', action_refuse: 'Từ chối', action_approve: 'Phê duyệt',
    action_send_back: 'Trả lại', action_posted: 'Đã hạch toán, thanh toán', action_recorded: 'Đã ghi nhận',
    action_delay_reason: 'Ghi lý do chậm', action_deadline_extended: 'Gia hạn', action_escalated: 'Báo lãnh đạo (quá hạn)',
    action_applied: 'Đã áp dụng', action_matches: 'Khớp đúng', action_does_not_match: 'Không khớp',
    // dossiers
    dossiers: 'Hồ sơ', dossier: 'Hồ sơ', procedure: 'Thủ tục', voucherNumber: 'Số chứng từ', amount: 'Số tiền',
    status: 'Trạng thái', step: 'Bước', receivedAt: 'Ngày nhận', dueAt: 'Hạn xử lý', updatedAt: 'Cập nhật',
    noDossiers: 'Chưa có hồ sơ nào.', open: 'Xem', overdue: 'Quá hạn', history: 'Lịch sử xử lý',
    chainOk: 'Chuỗi nhật ký toàn vẹn', chainBroken: 'Chuỗi nhật ký KHÔNG toàn vẹn',
    result: 'Kết quả', debitAdvice: 'Giấy báo Nợ', creditAdvice: 'Giấy báo Có', refusalNotice: 'Thông báo từ chối',
    otherKind: 'Tài liệu khác', onFile: 'lưu tại KBNN', certChain: 'Chứng thư (CA)',
    reason: 'Lý do', documents: 'Tài liệu', download: 'Tải về', noDocuments: 'Không có tài liệu đính kèm.',
    printables: 'Văn bản kết quả (in, lưu giữ)', printDownload: 'In / Tải về',
    signatures: 'Chữ ký số', checks: 'Kiểm tra tự động', pass: 'Đạt', fail: 'Không đạt', notRequired: 'Không yêu cầu',
    verified: 'Hợp lệ', notVerified: 'Không hợp lệ', signer: 'Người ký', title: 'Chức danh',
    title_chief_accountant: 'Kế toán trưởng', title_account_holder: 'Chủ tài khoản',
    cert_active: 'Còn hiệu lực', cert_revoked: 'Đã thu hồi', cert_unregistered: 'Chưa đăng ký', cert_unverifiable: 'Không kiểm tra được',
    supplementRequested: 'Kho bạc yêu cầu bổ sung hồ sơ', answerSupplement: 'Gửi hồ sơ bổ sung',
    supplementHint: 'Sửa nội dung nếu cần, ký lại và gửi. Thời hạn xử lý tính lại từ khi nhận đủ hồ sơ.',
    content: 'Nội dung', payee: 'Đơn vị thụ hưởng', account: 'Tài khoản',
    // submit
    submitTitle: 'Lập hồ sơ', voucher: 'Chứng từ', chooseProcedure: 'Chọn thủ tục', paymentKind: 'Loại chi',
    budgetYear: 'Năm ngân sách', estimateType: 'Loại dự toán', estimate_official: 'Chính thức',
    estimate_temporary: 'Tạm cấp', method: 'Hình thức', method_transfer: 'Chuyển khoản', method_cash: 'Tiền mặt',
    unitCode: 'Mã ĐVQHNS', chapterCode: 'Mã chương', payerAccount: 'Tài khoản chi',
    lines: 'Nội dung chi', lineContent: 'Nội dung', economicCode: 'Mã NDKT', sectorCode: 'Mã ngành KT',
    sourceCode: 'Mã nguồn NS', addLine: 'Thêm dòng', removeLine: 'Xoá dòng', total: 'Tổng số tiền',
    payeeName: 'Tên đơn vị nhận', payeeTaxCode: 'Mã số thuế', payeeAccount: 'Số tài khoản', payeeBank: 'Tại ngân hàng/KBNN',
    splitTitle: 'Nộp ngân sách nhà nước', splitToggle: 'Chứng từ kiêm nộp NSNN (Mẫu 14/18)',
    splitTaxpayer: 'Người nộp NSNN', splitTaxCode: 'Mã số thuế người nộp', splitEconomicCode: 'Mã NDKT khoản thu',
    splitChapter: 'Mã chương người nộp', splitDeclaration: 'Số tờ khai/QĐ/TB/ID khoản phải nộp', splitTaxPeriod: 'Kỳ thuế/Ngày QĐ/TB',
    splitAreaCode: 'Mã địa bàn hành chính', splitRevenueAccount: 'Tài khoản thu NSNN', splitCollectingAgency: 'Cơ quan thu ngân sách',
    splitTreasury: 'KBNN hạch toán khoản thu', splitAmount: 'Số tiền nộp NSNN', splitPayeeAmount: 'Số tiền thanh toán cho đối tượng thụ hưởng',
    contentJson: 'Nội dung hồ sơ (JSON)', contentJsonHint: 'Thủ tục này chưa có biểu mẫu riêng: nhập nội dung theo tài liệu API.',
    attachments: 'Tài liệu đính kèm', kind: 'Loại tài liệu', file: 'Tệp', upload: 'Tải lên', uploaded: 'Đã tải lên',
    alreadyStored: 'Đơn vị đã có tệp này', removeFile: 'Bỏ tệp',
    signing: 'Ký số', signWithTool: 'Ký bằng công cụ ký số trên máy (signtool serve)',
    signToolAddress: 'Địa chỉ công cụ ký', signNow: 'Ký', signByFile: 'Hoặc ký ngoài và tải tệp đã ký lên',
    downloadUnsigned: 'Tải nội dung cần ký (JSON)', signedFile: 'Tệp đã ký (JSON)',
    signedBy: 'Đã ký', notSignedYet: 'Chưa ký', signedFileMismatch: 'Tệp đã ký không khớp với nội dung đang lập.',
    signToolUnreachable: 'Không kết nối được công cụ ký số. Hãy chạy: python -m signtool serve',
    needSignatures: 'Hồ sơ cần đủ chữ ký trước khi gửi.', send: 'Gửi hồ sơ', sent: 'Đã gửi hồ sơ',
    invalidJson: 'Nội dung không phải JSON hợp lệ.', editAfterSign: 'Nội dung đã thay đổi sau khi ký: hãy ký lại.',
    // account procedures
    balance: 'Số dư', accountKind_deposit: 'Tài khoản tiền gửi', accountKind_estimate: 'Tài khoản dự toán',
    accountStatus_open: 'Đang hoạt động', accountStatus_closed: 'Đã tất toán',
    closingTitle: 'Đề nghị tất toán tài khoản', closingHint: 'Giấy đề nghị tất toán (Mẫu 25) kèm bảng đối chiếu của tài khoản (Điều 9 khoản 3 Nghị định 347/2025); Kho bạc xác nhận số dư đến ngày đối chiếu.',
    closingForms: 'Bảng đối chiếu kèm theo', closingDetails: 'Chi tiết đề nghị (ví dụ: số dư còn lại chuyển về đâu)',
    opening: 'Số dư đầu kỳ', increase: 'Phát sinh tăng trong kỳ', decrease: 'Phát sinh giảm trong kỳ',
    estimateToDate: 'Dự toán năm nay lũy kế (4)', usedInPeriod: 'Đã sử dụng trong kỳ (6)', usedToDate: 'Đã sử dụng lũy kế (7)',
    reconciliationTitle: 'Đối chiếu, xác nhận số dư', bookBalance: 'Số dư trên sổ của đơn vị (đồng)',
    reconciliationHint: 'Số dư cuối kỳ theo sổ kế toán của đơn vị; kỳ đối chiếu phải đã kết thúc.',
    specimensTitle: 'Đăng ký, thay đổi mẫu dấu, mẫu chữ ký', specimensHint: 'Chọn các thay đổi: mở tài khoản, duyệt chứng thư chờ duyệt, thu hồi chứng thư.',
    openAccounts: 'Tài khoản đề nghị mở', newAccount: 'Số tài khoản', accountKind: 'Loại tài khoản', addAccount: 'Thêm tài khoản',
    approveCertificates: 'Duyệt chứng thư chờ duyệt', revokeCertificates: 'Thu hồi chứng thư',
    revokeReason: 'Lý do thu hồi', validUntil: 'hiệu lực đến', noCertificates: 'Không có chứng thư nào.',
    // officer
    inboxTitle: 'Hồ sơ cần xử lý', approvalsTitle: 'Hồ sơ chờ phê duyệt', noTasks: 'Không có hồ sơ nào đang chờ.',
    decide: 'Quyết định', decisionReason: 'Lý do (bắt buộc khi yêu cầu bổ sung, từ chối, trả lại)',
    decision_accept: 'Tiếp nhận, chuyển lãnh đạo', decision_request_supplement: 'Yêu cầu bổ sung',
    decision_refuse: 'Từ chối', decision_approve: 'Phê duyệt', decision_send_back: 'Trả lại cán bộ',
    decision_matches: 'Khớp đúng', decision_does_not_match: 'Không khớp',
    decided: 'Đã ghi nhận quyết định', delayReason: 'Lý do chậm', recordDelay: 'Ghi lý do chậm',
    delayRecorded: 'Đã ghi lý do chậm', noOpenTask: 'Hồ sơ không có bước nào chờ bạn quyết định.',
    // statements, alerts
    statementsTitle: 'Đối chiếu số dư', period: 'Kỳ', opening: 'Số dư đầu kỳ', debits: 'Phát sinh Nợ',
    credits: 'Phát sinh Có', closing: 'Số dư cuối kỳ', noStatements: 'Chưa có bảng đối chiếu nào.',
    confirmMatches: 'Xác nhận khớp đúng', dispute: 'Không khớp (nêu chi tiết)', details: 'Chi tiết chênh lệch',
    replied: 'Đã gửi trả lời', replyBy: 'Hạn trả lời', answer: 'Trả lời', alertsTitle: 'Cảnh báo rủi ro', noAlerts: 'Không có cảnh báo nào.',
    navAutopay: 'Thanh toán tự động', cancel: 'Hủy',
    advancesTitle: 'Sổ theo dõi tạm ứng', noAdvances: 'Chưa có khoản tạm ứng nào.', advanceAmount: 'Số tạm ứng',
    advanceSettled: 'Đã thanh toán tạm ứng', advanceLeft: 'Còn lại', advancePaidAt: 'Ngày tạm ứng',
    advanceAge: 'Số ngày', advancePeriodEnds: 'Hết chỉnh lý quyết toán',
    rule: 'Quy tắc', raisedAt: 'Thời điểm',
    // dashboard
    dashboardTitle: 'Báo cáo điều hành', from: 'Từ ngày', to: 'Đến ngày', office: 'Đơn vị KBNN', apply: 'Xem',
    exportCsv: 'Xuất CSV', received: 'Tiếp nhận', decidedCount: 'Đã giải quyết', onTime: 'Đúng hạn', late: 'Trễ hạn',
    onTimeRate: 'Tỷ lệ đúng hạn', participation: 'Tỷ lệ tham gia', regularSenders: 'Đơn vị giao dịch thường xuyên',
    overdueWithoutReason: 'Hồ sơ chậm không rõ lý do', perDay: 'Theo ngày', date: 'Ngày',
    noFigures: 'Không có số liệu trong kỳ đã chọn.', noOverdue: 'Không có hồ sơ chậm không rõ lý do.',
    notDeclared: 'chưa khai báo',
    // errors
    networkError: 'Không kết nối được máy chủ. Kiểm tra mạng và thử lại.',
    notFound: 'Không tìm thấy trang này.', error: 'Có lỗi xảy ra',
  },
  en: {
    skip: 'Skip to main content', brand: 'State Treasury of Viet Nam', service: 'Online public service',
    signOut: 'Sign out', langToggle: 'VI', langName: 'Tiếng Việt',
    nav: 'Sections', loading: 'Loading…', refresh: 'Refresh', back: 'Back', none: '—',
    signInTitle: 'Sign in', username: 'Username', password: 'Password', signIn: 'Sign in',
    signedInAs: 'User', sessionExpired: 'Your session has expired; please sign in again.',
    navUnitDossiers: 'Our dossiers', navSubmit: 'New dossier', navStatements: 'Reconciliation', navAdvances: 'Advances',
    navAlerts: 'Risk alerts', navInbox: 'Inbox', navApprovals: 'Approvals',
    navDashboard: 'Dashboard', navOverdue: 'Overdue',
    role_unit_accountant: 'Accountant', role_chief_accountant: 'Chief accountant',
    role_account_holder: 'Account holder', role_unit_software: 'Accounting software',
    role_control_officer: 'Control officer', role_leader: 'Leader', role_portal: 'National portal',
    status_under_review: 'Under review', status_awaiting_supplement: 'Awaiting supplement',
    status_awaiting_approval: 'Awaiting approval', status_posting: 'Posting',
    status_paid: 'Paid', status_recorded: 'Recorded', status_refused: 'Refused',
    status_activating: 'Activating', status_registered: 'Registered', status_closed: 'Closed',
    status_reconciled: 'Matches', status_not_reconciled: 'Does not match',
    status_issued: 'Awaiting the unit', status_confirmed: 'Confirmed', status_disputed: 'Disputed',
    status_resolved: 'Dispute resolved',
    action_submitted: 'Submitted', action_resubmitted: 'Supplement sent', action_accept: 'Accepted',
    action_request_supplement: 'Supplement requested', action_refuse: 'Refused', action_approve: 'Approved',
    action_send_back: 'Sent back', action_posted: 'Posted and paid', action_recorded: 'Recorded',
    action_delay_reason: 'Delay reason recorded', action_deadline_extended: 'Deadline extended', action_escalated: 'Escalated (overdue)',
    action_applied: 'Applied', action_matches: 'Matches', action_does_not_match: 'Does not match',
    dossiers: 'Dossiers', dossier: 'Dossier', procedure: 'Procedure', voucherNumber: 'Voucher no.', amount: 'Amount',
    status: 'Status', step: 'Step', receivedAt: 'Received', dueAt: 'Due', updatedAt: 'Updated',
    noDossiers: 'No dossiers yet.', open: 'Open', overdue: 'Overdue', history: 'History',
    chainOk: 'Audit chain intact', chainBroken: 'Audit chain BROKEN',
    result: 'Result', debitAdvice: 'Debit advice', creditAdvice: 'Credit advice', refusalNotice: 'Refusal notice',
    otherKind: 'Other document', onFile: 'on file at the treasury', certChain: 'Certificate (CA)',
    reason: 'Reason', documents: 'Documents', download: 'Download', noDocuments: 'No attachments.',
    printables: 'Result documents (print, keep)', printDownload: 'Print / Download',
    signatures: 'Digital signatures', checks: 'Automatic checks', pass: 'Pass', fail: 'Fail', notRequired: 'Not required',
    verified: 'Valid', notVerified: 'Not valid', signer: 'Signer', title: 'Title',
    title_chief_accountant: 'Chief accountant', title_account_holder: 'Account holder',
    cert_active: 'In force', cert_revoked: 'Revoked', cert_unregistered: 'Not registered', cert_unverifiable: 'Cannot be checked',
    supplementRequested: 'The treasury asks for a supplement', answerSupplement: 'Send the supplement',
    supplementHint: 'Correct the content if needed, sign again and send. The time limit restarts on a complete dossier.',
    content: 'Content', payee: 'Payee', account: 'Account',
    submitTitle: 'New dossier', voucher: 'Voucher', chooseProcedure: 'Procedure', paymentKind: 'Kind',
    budgetYear: 'Budget year', estimateType: 'Estimate', estimate_official: 'Official',
    estimate_temporary: 'Temporary', method: 'Method', method_transfer: 'Transfer', method_cash: 'Cash',
    unitCode: 'Budget-unit code', chapterCode: 'Chapter code', payerAccount: 'Account',
    lines: 'Lines', lineContent: 'Content', economicCode: 'Economic code', sectorCode: 'Sector code',
    sourceCode: 'Source code', addLine: 'Add line', removeLine: 'Remove line', total: 'Total',
    payeeName: 'Payee name', payeeTaxCode: 'Tax code', payeeAccount: 'Account number', payeeBank: 'Bank or treasury',
    splitTitle: 'Payment into the state budget', splitToggle: 'The voucher also pays into the budget (form 14/18)',
    splitTaxpayer: 'Taxpayer', splitTaxCode: "Taxpayer's tax code", splitEconomicCode: 'Revenue economic code',
    splitChapter: "Taxpayer's chapter code", splitDeclaration: 'Declaration / decision / notice / payable ID', splitTaxPeriod: 'Tax period / decision or notice date',
    splitAreaCode: 'Administrative area code', splitRevenueAccount: 'Budget revenue account', splitCollectingAgency: 'Collecting agency',
    splitTreasury: 'Treasury booking the revenue', splitAmount: 'Amount into the budget', splitPayeeAmount: 'Amount to the payee',
    contentJson: 'Dossier content (JSON)', contentJsonHint: 'This procedure has no form of its own yet: enter the content as the API documents it.',
    attachments: 'Attachments', kind: 'Document kind', file: 'File', upload: 'Upload', uploaded: 'Uploaded',
    alreadyStored: 'The unit already has this file', removeFile: 'Remove',
    signing: 'Signing', signWithTool: 'Sign with the signing tool on this computer (signtool serve)',
    signToolAddress: 'Signing tool address', signNow: 'Sign', signByFile: 'Or sign elsewhere and upload the signed file',
    downloadUnsigned: 'Download the content to sign (JSON)', signedFile: 'Signed file (JSON)',
    signedBy: 'Signed', notSignedYet: 'Not signed', signedFileMismatch: 'The signed file does not match the content being prepared.',
    signToolUnreachable: 'The signing tool does not answer. Start it: python -m signtool serve',
    needSignatures: 'The dossier needs all its signatures before it is sent.', send: 'Send dossier', sent: 'Dossier sent',
    invalidJson: 'The content is not valid JSON.', editAfterSign: 'The content changed after signing: sign again.',
    // account procedures
    balance: 'Balance', accountKind_deposit: 'Deposit account', accountKind_estimate: 'Estimate account',
    accountStatus_open: 'Open', accountStatus_closed: 'Closed',
    closingTitle: 'Closing an account', closingHint: 'The closing request (Mẫu 25) with the account\'s reconciliation forms (Decree 347/2025 Art. 9 cl. 3); the treasury confirms the balance as at the reconciliation date.',
    closingForms: 'Reconciliation forms attached', closingDetails: 'Details (e.g. where a remaining balance goes)',
    opening: 'Opening balance', increase: 'Increases in the period', decrease: 'Decreases in the period',
    estimateToDate: 'Estimate this year to date (4)', usedInPeriod: 'Used in the period (6)', usedToDate: 'Used to date (7)',
    reconciliationTitle: 'Balance reconciliation', bookBalance: "The unit's book balance (đồng)",
    reconciliationHint: "The closing balance in the unit's books; the period must be over.",
    specimensTitle: 'Registering or changing signature specimens', specimensHint: 'Choose the changes: accounts to open, pending certificates to approve, certificates to revoke.',
    openAccounts: 'Accounts to open', newAccount: 'Account number', accountKind: 'Account kind', addAccount: 'Add an account',
    approveCertificates: 'Approve pending certificates', revokeCertificates: 'Revoke certificates',
    revokeReason: 'Reason for revoking', validUntil: 'valid until', noCertificates: 'No certificates.',
    inboxTitle: 'Inbox', approvalsTitle: 'Awaiting approval', noTasks: 'Nothing is waiting.',
    decide: 'Decide', decisionReason: 'Reason (required to ask for a supplement, refuse or send back)',
    decision_accept: 'Accept, pass to the leader', decision_request_supplement: 'Ask for a supplement',
    decision_refuse: 'Refuse', decision_approve: 'Approve', decision_send_back: 'Send back',
    decision_matches: 'Matches', decision_does_not_match: 'Does not match',
    decided: 'Decision recorded', delayReason: 'Delay reason', recordDelay: 'Record delay reason',
    delayRecorded: 'Delay reason recorded', noOpenTask: 'No step of this dossier waits for your decision.',
    statementsTitle: 'Balance reconciliation', period: 'Period', opening: 'Opening', debits: 'Debits',
    credits: 'Credits', closing: 'Closing', noStatements: 'No statements yet.',
    confirmMatches: 'Confirm: matches', dispute: 'Dispute (give details)', details: 'Difference details',
    replied: 'Reply sent', replyBy: 'Reply by', answer: 'Answer', alertsTitle: 'Risk alerts', noAlerts: 'No alerts.',
    navAutopay: 'Utility auto-pay', cancel: 'Cancel',
    advancesTitle: 'Advance register', noAdvances: 'No advances yet.', advanceAmount: 'Advanced',
    advanceSettled: 'Settled', advanceLeft: 'Left', advancePaidAt: 'Paid on',
    advanceAge: 'Days', advancePeriodEnds: 'Adjustment period ends',
    rule: 'Rule', raisedAt: 'Raised',
    dashboardTitle: 'Office dashboard', from: 'From', to: 'To', office: 'Treasury office', apply: 'Show',
    exportCsv: 'Export CSV', received: 'Received', decidedCount: 'Decided', onTime: 'On time', late: 'Late',
    onTimeRate: 'On-time rate', participation: 'Participation rate', regularSenders: 'Units sending regularly',
    overdueWithoutReason: 'Overdue without a reason', perDay: 'Per day', date: 'Date',
    noFigures: 'No figures in the chosen period.', noOverdue: 'No dossier is late without a reason.',
    notDeclared: 'not declared',
    networkError: 'The server cannot be reached. Check the network and try again.',
    notFound: 'This page does not exist.', error: 'Something went wrong',
  },
};

const KEY = 'kbnn.lang';

export function lang() {
  const stored = localStorage.getItem(KEY);
  return stored === 'en' ? 'en' : 'vi';
}

export function setLang(value) {
  localStorage.setItem(KEY, value === 'en' ? 'en' : 'vi');
  document.documentElement.lang = lang();
}

/** Strings a screen's own module adds when it loads (strings-spending.js); both languages must
 *  name the same keys, or the screen fails to draw rather than show a key. */
export function addStrings(more) {
  const vi = Object.keys(more.vi);
  const en = Object.keys(more.en);
  const missing = vi.filter((k) => !en.includes(k)).concat(en.filter((k) => !vi.includes(k)));
  if (missing.length) throw new Error(`strings without both languages: ${missing.join(', ')}`);
  Object.assign(STRINGS.vi, more.vi);
  Object.assign(STRINGS.en, more.en);
}

export function t(key) {
  const table = STRINGS[lang()];
  return key in table ? table[key] : (STRINGS.vi[key] ?? key);
}

/** The label of a code (`status`, `action`…), or the code itself when there is none. */
export function label(prefix, code) {
  const key = `${prefix}_${code}`;
  const text = t(key);
  return text === key ? code : text;
}

/** A catalogue name in the chosen language ({name_vi, name_en}). */
export function named(item) {
  if (!item) return '';
  return (lang() === 'en' && item.name_en) || item.name_vi || item.code || '';
}

// The catalogue names its steps in Vietnamese only (label_vi); English names by step.
const STEPS_EN = {
  review: 'Review', supplement: "Unit's supplement", approval: "Leader's approval",
  posting: 'Posting and payment', apply_changes: 'Applying the changes',
  close_account: 'Closing the account', activation: 'Activating the unit and its users',
};

/** A workflow step's name in the chosen language. */
export function stepLabel(name, labelVi) {
  return (lang() === 'en' && STEPS_EN[name]) || labelVi || name || '';
}

/** Texts of the static shell (index.html) marked with data-i18n. */
export function translateShell(root = document) {
  document.documentElement.lang = lang();
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
}

export const KEYS = Object.keys(STRINGS.vi);
export const ENGLISH_KEYS = Object.keys(STRINGS.en);
