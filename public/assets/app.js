// The page's entry point: finds the page's parts and wires the account, the uploads and the library together.
import { setUpAccount } from './account.js';
import { setUpLibrary } from './library.js';
import { setUpUploads } from './uploads.js';

const byId = (id) => document.getElementById(id);
const convertSection = byId('convert');

const library = setUpLibrary({
  section: byId('library'),
  heading: byId('library-heading'),
  list: byId('records'),
  status: byId('library-status'),
  storageUse: byId('storage-use'),
  moreButton: byId('more-records'),
  template: byId('record-template'),
});

const account = setUpAccount({
  parts: {
    createForm: byId('create-user-form'),
    signInForm: byId('sign-in-form'),
    signedOut: byId('signed-out'),
    signedIn: byId('signed-in'),
    userName: byId('user-name'),
    userId: byId('user-id'),
    userToken: byId('user-token'),
    credentials: byId('credentials'),
    forgetButton: byId('forget-me'),
    newTokenButton: byId('new-token'),
    deleteButton: byId('delete-account'),
    accountError: byId('account-error'),
    accountStatus: byId('account-status'),
  },
  firstPageSize: library.pageSize,
  onSignedIn(user, firstPage) {
    convertSection.hidden = false;
    void library.show(user, firstPage);
  },
  onTokenChanged(user) {
    library.useToken(user);
  },
  onSignedOut() {
    convertSection.hidden = true;
    byId('uploads').replaceChildren();
    library.clear();
  },
});

setUpUploads({
  form: byId('convert-form'),
  fileInput: byId('wav-files'),
  dropZone: byId('drop-zone'),
  list: byId('uploads'),
  template: byId('upload-template'),
  announcer: byId('upload-announcer'),
  currentUser: () => account.currentUser(),
  onConverted(record) {
    // An upload started before "Forget me" may finish after it; its record belongs to nobody on this page now.
    if (record.user === account.currentUser()?.id) library.add(record);
  },
  onFinished() {
    library.refreshStorage();
  },
});
